"""Erasure on a copy of the session's small built world (200 accounts, six months), with
its lists exported as files: a person with leads, a CRM contact, activities and a lead
hand-off row is erased; then every table of the warehouse (every schema, every text
column, found through information_schema) and every file under the home is searched for
their e-mail address and for their name with their company, before and after loading
the landing folder again and rebuilding; other people's rows stay as they were.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow.parquet as pq
import pytest

if TYPE_CHECKING:
    from conftest import BuiltWorld

    from kizuna.erasure import ErasureReport
    from kizuna.ingest import LoadReport

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("small_world_duckdb")]

#: Tables whose rows belong to people, with the column that says whose: other people's
#: rows must be the same before and after.
PEOPLE_TABLES = {
    "raw.ma_leads": "lead_id", "raw.ma_activities": "lead_id", "raw.crm_contacts": "contact_id",
    "raw.crm_activities": "contact_id", "snapshots.snap_ma__leads": "lead_id",
    "snapshots.snap_crm__contacts": "contact_id", "marts.dim_leads": "lead_id",
    "marts.fct_activities": "lead_id", "exports.export_lead_handoffs": "lead_id",
}
#: A list chosen by account (the lead hand-offs of MQA accounts): once the marts are built
#: again without the person's activity, their account may no longer qualify, and its other
#: leads leave the list with it. Other accounts' rows must stay.
BY_ACCOUNT = "exports.export_lead_handoffs"
#: Tables of no person: the same row count before and after.
OTHER_TABLES = ("raw.crm_accounts", "raw.crm_opportunities", "raw.firmo_companies",
                "raw.ma_campaigns", "marts.dim_abm_accounts")


@dataclass(frozen=True)
class Person:
    email: str
    lead_ids: tuple[str, ...]
    contact_ids: tuple[str, ...]
    last_name: str
    first_name: str
    company: str
    account_key: str

    @property
    def ids(self) -> tuple[str, ...]:
        return self.lead_ids + self.contact_ids


@dataclass(frozen=True)
class Search:
    tables: int
    columns: int
    files: int
    traces: list[str]


@dataclass
class Erased:
    home: Path
    person: Person
    report: ErasureReport
    counts_before: dict[str, int]
    counts_after_erasure: dict[str, int]
    counts_after_rebuild: dict[str, int]
    found_before: Search
    after_erasure: Search
    after_rebuild: Search
    reload: LoadReport
    build_failures: list
    bi_rows_before: int
    bi_rows_after_erasure: int


def warehouse(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "warehouse" / "kizuna.duckdb"), read_only=True)


def pick_person(home: Path) -> Person:
    """The person with the most activities among those with a CRM contact and a lead
    hand-off row, whose name and company no one else shares."""
    with warehouse(home) as con:
        email, last, first, company, account_key = con.execute("""
            SELECT r.email, r.last_name, r.first_name, l.company_name, l.account_key
            FROM marts.dim_leads l
            JOIN restricted.restricted_lead_contacts r ON r.lead_id = l.lead_id
            JOIN exports.export_lead_handoffs h ON h.lead_id = l.lead_id
            JOIN marts.fct_activities a ON a.lead_id = l.lead_id
            WHERE l.contact_id IS NOT NULL AND r.last_name IS NOT NULL
              AND l.company_name IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM raw.ma_leads o
                              WHERE o.last_name = r.last_name AND o.first_name = r.first_name
                                AND o.company_name = l.company_name
                                AND lower(trim(o.email)) <> lower(trim(r.email)))
            GROUP BY ALL ORDER BY count(DISTINCT a.activity_id) DESC, 1 LIMIT 1""").fetchone()
        leads = con.execute("SELECT DISTINCT lead_id FROM raw.ma_leads "
                            "WHERE lower(trim(email)) = ? ORDER BY 1", [email]).fetchall()
        contacts = con.execute("SELECT DISTINCT contact_id FROM raw.crm_contacts "
                               "WHERE lower(trim(email)) = ? ORDER BY 1", [email]).fetchall()
    return Person(email, tuple(r[0] for r in leads), tuple(r[0] for r in contacts), last,
                  first, company, account_key)


def counts(home: Path, person: Person) -> dict[str, int]:
    """Rows of other people in the people tables; rows of the other tables."""
    out = {}
    with warehouse(home) as con:
        for table, column in PEOPLE_TABLES.items():
            marks = ", ".join("?" * len(person.ids))
            out[table] = con.execute(
                f"SELECT count(*) FROM {table} WHERE {column} IS NULL "
                f"OR {column} NOT IN ({marks})", list(person.ids)).fetchone()[0]
        out[f"{BY_ACCOUNT}, other accounts"] = con.execute(
            f"SELECT count(*) FROM {BY_ACCOUNT} WHERE account_key <> ?",
            [person.account_key]).fetchone()[0]
        for table in OTHER_TABLES:
            out[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return out


def _file_lines(path: Path) -> list[str]:
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        return ["|".join(map(str, row.values())) for row in table.to_pylist()]
    data = path.read_bytes()
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding).lower().splitlines()
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1").lower().splitlines()


def rows_in_bi_file(home: Path, person: Person) -> int:
    """Rows of the BI file (a copy of the marts, no clear text) naming one of the person's
    lead or contact ids, or their keyed e-mail hash, in any text column."""
    from kizuna.bi import person_hash

    keys = [*person.ids, person_hash(person.email)]
    marks = ", ".join("?" * len(keys))
    with duckdb.connect(str(home / "warehouse" / "bi.duckdb"), read_only=True) as con:
        columns = con.execute("SELECT table_schema, table_name, column_name "
                              "FROM information_schema.columns WHERE data_type = 'VARCHAR'"
                              ).fetchall()
        return sum(con.execute(f'SELECT count(*) FROM "{schema}"."{table}" '
                               f'WHERE "{column}" IN ({marks})', keys).fetchone()[0]
                   for schema, table, column in columns)


def search(home: Path, person: Person) -> Search:
    """Every text column of every table and every file under the home (the warehouse file
    is searched through its tables) for the address, and for name and company together."""
    traces = []
    with warehouse(home) as con:
        columns = con.execute(
            "SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_catalog, table_schema, table_name) "
            "WHERE c.data_type = 'VARCHAR'").fetchall()
        tables = {(s, t) for s, t, _ in columns}
        for schema, table, column in columns:
            n = con.execute(f'SELECT count(*) FROM "{schema}"."{table}" '
                            f'WHERE strpos(lower("{column}"), ?) > 0', [person.email]).fetchone()[0]
            if n:
                traces.append(f"{schema}.{table}.{column}: {n} rows with the address")
        by_table: dict[tuple[str, str], set[str]] = {}
        for schema, table, column in columns:
            by_table.setdefault((schema, table), set()).add(column)
        for (schema, table), cols in sorted(by_table.items()):
            company = [c for c in ("company_name", "account_name") if c in cols]
            if not {"last_name", "first_name"} <= cols or not company:
                continue
            n = con.execute(
                f'SELECT count(*) FROM "{schema}"."{table}" WHERE last_name = ? AND '
                f"first_name = ? AND ({' OR '.join(f'{c} = ?' for c in company)})",
                [person.last_name, person.first_name, *[person.company] * len(company)]
            ).fetchone()[0]
            if n:
                traces.append(f"{schema}.{table}: {n} rows with the name and company")
    files = [p for p in home.rglob("*") if p.is_file() and "warehouse" not in
             p.relative_to(home).parts]
    name = (person.last_name.lower(), person.first_name.lower(), person.company.lower())
    for path in files:
        for line in _file_lines(path):
            if person.email in line or all(x in line for x in name):
                traces.append(f"{path.relative_to(home)}: {line[:80]!r}")
                break
    return Search(len(tables), len(columns), len(files), traces)


@pytest.fixture(scope="module")
def erased(small_world_built: BuiltWorld, small_world_config: dict,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Erased]:
    from kizuna.pipeline import build_warehouse, erase, export_lists, load_and_gate

    home = tmp_path_factory.mktemp("erasure")
    shutil.copytree(small_world_built.home, home, dirs_exist_ok=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KIZUNA_HOME", str(home))
        mp.setenv("KIZUNA_WAREHOUSE", "duckdb")
        mp.setenv("KIZUNA_LANDING", str(home / "landing"))
        mp.setenv("KIZUNA_DUCKDB_PATH", str(home / "warehouse" / "kizuna.duckdb"))
        for var in ("KIZUNA_REPORTS", "KIZUNA_ERASURE_KEY"):
            mp.delenv(var, raising=False)
        export_lists(build=False)
        person = pick_person(home)
        before = counts(home, person)
        found_before = search(home, person)
        bi_before = rows_in_bi_file(home, person)

        report = erase([person.email.upper()])
        after_erasure = search(home, person)
        bi_after_erasure = rows_in_bi_file(home, person)
        counts_after_erasure = counts(home, person)

        start, end = small_world_config["start"], small_world_config["end"] + timedelta(days=1)
        reload = load_and_gate(start, end)
        results = build_warehouse()
        yield Erased(home, person, report, before, counts_after_erasure, counts(home, person),
                     found_before, after_erasure, search(home, person), reload,
                     [r for r in results if r.status not in ("success", "pass", "no-op")],
                     bi_before, bi_after_erasure)


def test_the_person_is_everywhere_before(erased: Erased):
    person, found = erased.person, erased.found_before
    assert person.lead_ids and person.contact_ids
    where = " ".join(found.traces)
    for place in ("raw.ma_leads", "raw.crm_contacts", "snapshots.snap_ma__leads",
                  "restricted.restricted_lead_contacts", "exports.export_lead_handoffs",
                  "landing/ma/leads",
                  "landing/crm/contacts", "exports/"):
        assert place in where


def test_no_trace_is_left_in_any_table_or_file(erased: Erased):
    found = erased.after_erasure
    assert found.traces == []
    assert found.tables > 100 and found.columns > 500 and found.files > 1000


def test_the_bi_file_is_published_again_without_them(erased: Erased):
    assert erased.bi_rows_before > 0
    assert erased.bi_rows_after_erasure == 0


def test_loading_and_building_again_brings_nothing_back(erased: Erased):
    assert erased.build_failures == []
    assert erased.reload.batches == [] and erased.reload.skipped > 0  # rewritten files skipped
    assert erased.after_rebuild.traces == []


def test_other_peoples_rows_are_unchanged(erased: Erased):
    assert erased.counts_after_erasure == erased.counts_before
    rebuilt = {k: v for k, v in erased.counts_after_rebuild.items() if k != BY_ACCOUNT}
    assert rebuilt == {k: v for k, v in erased.counts_before.items() if k != BY_ACCOUNT}


def test_the_request_is_recorded_without_personal_data(erased: Erased):
    report = erased.report
    assert report.records_resolved >= len(erased.person.ids)
    assert report.tables["raw.ma_leads"] == len(erased.person.lead_ids)
    assert report.tables["raw.crm_contacts"] >= len(erased.person.contact_ids)
    assert any(f.startswith("ma/activities/") for f in report.landing_files)
    assert report.export_files
    with warehouse(erased.home) as con:
        requests = con.execute("SELECT request_id, email_hmac FROM audit.erasure_requests"
                               ).fetchall()
        removed = dict(con.execute("SELECT location, rows_removed FROM audit.erasure_removals "
                                   "WHERE location_type = 'table'").fetchall())
        events = con.execute("SELECT count(*) FROM audit.batch_events WHERE event = 'erased'"
                             ).fetchone()[0]
    assert [r[0] for r in requests] == [report.request_id]
    assert len(requests[0][1]) == 64 and erased.person.email not in requests[0][1]
    assert removed == report.tables
    assert events >= len(report.landing_files)
