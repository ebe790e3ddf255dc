"""The same dbt project builds and passes its tests on PostgreSQL (a real server)."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("postgres_build")]


@pytest.fixture(scope="module")
def postgres_built(postgres_cluster, small_world: Path, small_world_config: dict,
                   tmp_path_factory: pytest.TempPathFactory):
    """The small world loaded into PostgreSQL and built there: dbt, identity, dbt."""
    from kizuna.pipeline import build_warehouse
    from kizuna.pipeline import load_and_gate as load_window

    home = tmp_path_factory.mktemp("pg-home")
    shutil.copytree(small_world / "landing", home / "landing")
    # the truth beside it: the build measures itself against it on PostgreSQL too
    shutil.copytree(small_world / "truth", home / "truth")
    mp = pytest.MonkeyPatch()
    mp.setenv("KIZUNA_HOME", str(home))
    mp.setenv("KIZUNA_LANDING", str(home / "landing"))
    mp.setenv("KIZUNA_WAREHOUSE", "postgres")
    for key, value in postgres_cluster.new_database().items():
        mp.setenv(key, value)
    load_window(small_world_config["start"], small_world_config["end"] + timedelta(days=1))
    from kizuna.settings import get_settings

    settings = get_settings()
    results = build_warehouse(settings)
    yield results, settings
    mp.undo()


def test_dbt_build_passes_every_test_on_postgres(postgres_built):
    results, _ = postgres_built
    failed = [r for r in results if r.status not in ("success", "pass", "no-op")]
    assert failed == []
    assert sum(r.status == "pass" for r in results) > 100


def test_every_mart_has_rows_on_postgres(postgres_built, ml_scored_marts):
    """Every mart dbt builds has rows; the ML marts wait for scoring (tests/ml)."""
    from kizuna.warehouse import connection

    _, settings = postgres_built
    with connection(settings) as wh:
        tables = [t for (t,) in wh.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'")]
        empty = [t for t in tables if t not in ml_scored_marts
                 and wh.query(f'SELECT count(*) FROM marts."{t}"')[0][0] == 0]
        linked = wh.query("SELECT count(*) FROM marts.dim_leads WHERE account_id IS NOT NULL")[0][0]
    assert {"dim_contacts_history", "mart_account_scores", "kpi_abm_funnel",
            "kpi_group_rollup"} <= set(tables)
    assert empty == []
    assert ml_scored_marts <= set(tables)
    assert linked > 0


def test_the_bi_role_reads_the_marts_and_nothing_below_them(postgres_built, postgres_cluster):
    """The build grants the read-only role kizuna_bi (deploy/postgres-init.sql) schema marts:
    logged in as it, every mart reads, and no table of any other schema (raw, staging,
    restricted personal data, quarantine, audit, snapshots...) does, nor can it write; a
    mart dbt rebuilds afterwards (a new table renamed in) stays readable."""
    import dataclasses

    from adbc_driver_manager import Error as DriverError

    from kizuna.bi import BI_ROLE
    from kizuna.transform import run_dbt
    from kizuna.warehouse import PostgresWarehouse, connection

    _, settings = postgres_built
    with connection(settings) as owner:
        tables = owner.query(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")
    marts = sorted(t for s, t in tables if s == "marts")
    below = sorted((s, t) for s, t in tables if s != "marts")
    assert {"raw", "staging", "restricted", "quarantine", "audit", "snapshots"} <= {
        s for s, _ in below}

    def as_bi() -> PostgresWarehouse:
        return PostgresWarehouse(dataclasses.replace(
            settings.postgres, user=BI_ROLE, password=postgres_cluster.bi_password))

    def refused(bi: PostgresWarehouse, sql: str) -> bool:
        try:
            bi.query(sql)
        except DriverError as exc:
            assert "permission denied" in str(exc), exc
            return True
        return False

    bi = as_bi()
    try:
        rows = {t: bi.query(f'SELECT count(*) FROM marts."{t}"')[0][0] for t in marts}
        readable_below = [f"{s}.{t}" for s, t in below
                          if not refused(bi, f'SELECT 1 FROM "{s}"."{t}" LIMIT 1')]
        assert refused(bi, "CREATE TABLE marts.bi_probe (x integer)")
        assert refused(bi, "DELETE FROM marts.dim_leads")
    finally:
        bi.close()
    assert len(marts) > 30 and sum(rows.values()) > 10_000
    assert readable_below == []

    run_dbt(["run", "--select", "dim_persons"], settings, quiet=True)
    bi = as_bi()
    try:
        (persons,) = bi.query("SELECT count(*) FROM marts.dim_persons")[0]
    finally:
        bi.close()
    assert persons == rows["dim_persons"] > 0


def test_email_hashes_on_postgres_are_the_same_keyed_hash(postgres_built):
    """The macro person_hash gives on PostgreSQL what it gives on DuckDB (kizuna.bi)."""
    from kizuna.bi import person_hash
    from kizuna.warehouse import connection

    _, settings = postgres_built
    with connection(settings) as wh:
        sample = wh.query(
            "SELECT c.email, l.email_hash FROM restricted.restricted_lead_contacts c "
            "JOIN marts.dim_leads l USING (lead_id) WHERE c.email IS NOT NULL "
            "ORDER BY lead_id LIMIT 100")
    assert len(sample) == 100
    assert all(h == person_hash(e) for e, h in sample)


# --- the report and erasure on the same PostgreSQL build (they run last: erasure deletes) ---

REPORT_SECTIONS = {"funnel", "engagement", "mqa", "kpi", "quality", "models", "cross_sell",
                   "attribution"}
#: Sections that read model scores: this build trains no model (tests/ml does).
SCORED_SECTIONS = {"models", "cross_sell"}


@pytest.fixture(scope="module")
def postgres_report(postgres_built):
    """The report step on the PostgreSQL build (before the erasure, which scrubs reports)."""
    from kizuna.pipeline import write_report

    _, settings = postgres_built
    return write_report(settings)


def test_the_report_renders_from_postgres(postgres_built, postgres_report):
    _, settings = postgres_built
    result = postgres_report
    html = result.path.read_text(encoding="utf-8")
    assert result.path.parent == settings.reports
    assert {s.key for s in result.sections} == REPORT_SECTIONS
    assert set(result.absent) == SCORED_SECTIONS
    for section in result.sections:
        assert f'id="{section.key}"' in html
        assert bool(section.charts) == (section.key not in SCORED_SECTIONS), section.key
    assert "warehouse postgres" in html
    assert "window.vegaEmbed=" in html  # the JavaScript is inlined: the page opens offline


@dataclass(frozen=True)
class Needles:
    """What identifies the erased person, in lower case: the address, their lead and contact
    ids and the marts' keyed hash of the address. Searched as substrings (stricter than
    words: an id inside a longer one counts too)."""

    email: str
    ids: tuple[str, ...]
    email_hash: str

    def all(self) -> list[str]:
        return [self.email, *(i.lower() for i in self.ids), self.email_hash]


@dataclass(frozen=True)
class Search:
    tables: int
    columns: int
    files: int
    traces: list[str]


def search_tables(wh, needles: Needles, schemas: tuple[str, ...] | None = None
                  ) -> tuple[int, int, list[str]]:
    """Every text column of every base table (of every schema, found through
    information_schema, or of ``schemas``), one scan per table: rows per column in which
    one of the needles occurs."""
    rows = wh.query(
        "SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns c "
        "JOIN information_schema.tables t USING (table_schema, table_name) "
        "WHERE t.table_type = 'BASE TABLE' "
        "AND c.table_schema NOT IN ('pg_catalog', 'information_schema') "
        "AND c.data_type IN ('text', 'character varying', 'character')")
    by_table: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in rows:
        if schemas is None or schema in schemas:
            by_table.setdefault((schema, table), []).append(column)
    params = needles.all()
    traces = []
    for (schema, table), columns in sorted(by_table.items()):
        counts = ", ".join("count(*) FILTER (WHERE " + " OR ".join(
            f'strpos(lower("{c}"), ${i + 1}) > 0' for i in range(len(params))) + ")"
            for c in columns)
        found = wh.query(f'SELECT {counts} FROM "{schema}"."{table}"', params)[0]
        traces += [f"{schema}.{table}.{c}: {n} rows" for c, n in zip(columns, found,
                                                                        strict=True) if n]
    return len(by_table), sum(len(c) for c in by_table.values()), traces


def _file_text(path: Path) -> str:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return "\n".join("|".join(map(str, r.values())) for r in pq.read_table(path).to_pylist())
    data = path.read_bytes()
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def search(home: Path, settings, needles: Needles) -> Search:
    """Every table of the warehouse, and every file under the home but the simulator's
    answer key (truth/, which names every lead and which no pipeline step reads)."""
    from kizuna.warehouse import connection

    with connection(settings) as wh:
        tables, columns, traces = search_tables(wh, needles)
    files = [p for p in home.rglob("*") if p.is_file()
             and p.relative_to(home).parts[0] != "truth"]
    for path in files:
        text = _file_text(path).lower()
        found = [n for n in needles.all() if n in text]
        if found:
            traces.append(f"{path.relative_to(home)}: {found}")
    return Search(tables, columns, len(files), traces)


@dataclass
class PostgresErasure:
    needles: Needles
    report: Any
    seconds: float
    before: Search
    after: Search
    grants_before: list[tuple]
    grants_after: list[tuple]
    bi_rows_after: dict[str, int]
    reloaded: Any
    after_reload: tuple[int, int, list[str]]
    raw_rows: list[dict[str, int]]
    #: tables the erasure deleted from that PostgreSQL has not vacuumed since
    not_vacuumed: list[str]


def bi_grants(settings) -> list[tuple]:
    from kizuna.bi import BI_ROLE
    from kizuna.warehouse import connection

    with connection(settings) as wh:
        return wh.query("SELECT table_schema, table_name, privilege_type "
                        "FROM information_schema.role_table_grants WHERE grantee = ? "
                        "ORDER BY 1, 2, 3", [BI_ROLE])


@pytest.fixture(scope="module")
def postgres_erased(postgres_built, postgres_report, postgres_cluster, small_world: Path,
                    small_world_config: dict, tmp_path_factory: pytest.TempPathFactory
                    ) -> PostgresErasure:
    """The lists exported as files; one person who is in raw, quarantine, audit, the
    snapshots, the restricted schema, the marts, a lead hand-off and the export files
    erased (the erasure step), every table and file searched before and after; then the
    landing loaded again with the person's files as first delivered among it."""
    import dataclasses

    from kizuna.bi import BI_ROLE, person_hash
    from kizuna.pipeline import erase, export_lists, load_and_gate
    from kizuna.warehouse import PostgresWarehouse, connection

    _, settings = postgres_built
    home = settings.home
    export_lists(settings, build=False)
    with connection(settings) as wh:
        (email,) = wh.query("""
            SELECT r.email FROM marts.dim_leads l
            JOIN restricted.restricted_lead_contacts r ON r.lead_id = l.lead_id
            JOIN exports.export_lead_handoffs h ON h.lead_id = l.lead_id
            JOIN marts.fct_activities a ON a.lead_id = l.lead_id
            WHERE l.contact_id IS NOT NULL
            GROUP BY r.email ORDER BY count(DISTINCT a.activity_id) DESC, r.email LIMIT 1""")[0]
        ids = [i for (i,) in wh.query(
            "SELECT lead_id FROM raw.ma_leads WHERE lower(trim(email)) = ? UNION "
            "SELECT contact_id FROM raw.crm_contacts WHERE lower(trim(email)) = ? ORDER BY 1",
            [email, email])]
    needles = Needles(email, tuple(ids), person_hash(email) or "")
    # the person delivered once more: the address in angle brackets (loaded; the gate's
    # email_format warning keeps it as a sample in audit.dq_results) and a row that cannot
    # be typed (quarantined with its raw text): traces in audit and quarantine too
    start, end = small_world_config["start"], small_world_config["end"] + timedelta(days=1)
    lead_id = next(i for i in ids if i.startswith("L"))
    extra = (home / "landing" / "ma" / "leads" / small_world_config["end"].isoformat()
             / "part-0099.csv")
    extra.parent.mkdir(parents=True, exist_ok=True)
    (extra.parent / "_SUCCESS").touch()
    delivered = tmp_path_factory.mktemp("delivered") / extra.name
    originals = {extra.relative_to(home / "landing").as_posix(): delivered}
    header = min((small_world / "landing" / "ma" / "leads").glob("*/*.csv"))
    row = ",{},長谷,一,テスト,,,,event,false,{},2026-03-31 09:00:00"
    extra.write_text("\n".join([
        header.read_text(encoding="utf-8-sig").splitlines()[0],
        lead_id + row.format(f"<{email.upper()}>", "2026-03-31 09:00:00"),
        lead_id + row.format(email, "not a time")]) + "\n", encoding="utf-8")
    shutil.copy2(extra, delivered)
    load_and_gate(start, end, settings=settings)
    before = search(home, settings, needles)
    grants_before = bi_grants(settings)

    t0 = time.monotonic()
    report = erase([email.upper()], settings)
    seconds = time.monotonic() - t0
    after = search(home, settings, needles)
    with connection(settings) as wh:
        vacuumed = {f"{s}.{t}" for s, t in wh.query(
            "SELECT schemaname, relname FROM pg_stat_user_tables "
            "WHERE last_vacuum IS NOT NULL")}
    not_vacuumed = sorted(set(report.tables) - vacuumed)
    grants_after = bi_grants(settings)
    bi = PostgresWarehouse(dataclasses.replace(
        settings.postgres, user=BI_ROLE, password=postgres_cluster.bi_password))
    try:
        bi_rows = {t: bi.query(f'SELECT count(*) FROM marts."{t}"')[0][0]
                   for t in ("dim_leads", "fct_activities", "dim_persons")}
    finally:
        bi.close()

    # the source delivers the person's files again as they first were; the other files of
    # the landing are as the erasure left them
    with connection(settings) as wh:
        raw_rows = [raw_counts(wh)]
    for relpath in report.landing_files:
        shutil.copy2(originals.get(relpath, small_world / "landing" / relpath),
                     home / "landing" / relpath)
    reloaded = load_and_gate(start, end, settings=settings)
    with connection(settings) as wh:
        raw_rows.append(raw_counts(wh))
        after_reload = search_tables(wh, needles, ("raw", "quarantine", "audit"))
    return PostgresErasure(needles, report, seconds, before, after, grants_before,
                           grants_after, bi_rows, reloaded, after_reload, raw_rows,
                           not_vacuumed)


def raw_counts(wh) -> dict[str, int]:
    return {t: wh.query(f"SELECT count(*) FROM raw.{t}")[0][0]
            for t in ("ma_leads", "ma_activities", "crm_contacts")}


def test_erasure_on_postgres_leaves_no_trace_in_any_table_or_file(postgres_erased):
    e = postgres_erased
    assert len(e.needles.ids) >= 2  # a lead and a CRM contact
    where = " ".join(e.before.traces)
    for place in ("raw.ma_leads", "raw.crm_contacts", "quarantine.rejected_rows.raw_text",
                  "audit.dq_results.unexpected_sample", "snapshots.snap_ma__leads",
                  "restricted.restricted_lead_contacts", "marts.dim_leads.email_hash",
                  "marts.fct_activities", "exports.export_lead_handoffs", "landing/ma/leads",
                  "landing/crm/contacts", "exports/", "reports/data_docs/"):
        assert place in where, place
    assert e.after.traces == []
    assert e.after.tables > 100 and e.after.columns > 500 and e.after.files > 1000
    assert e.report.tables["raw.ma_leads"] == 2 and e.report.tables["raw.crm_contacts"] >= 1
    assert e.report.tables["quarantine.rejected_rows"] == 1
    assert e.report.export_files and e.report.text_files
    assert e.not_vacuumed == []


def test_erasure_on_postgres_leaves_the_bi_role_its_grants(postgres_erased):
    e = postgres_erased
    assert e.grants_before and e.grants_after == e.grants_before
    assert {s for s, _, _ in e.grants_after} == {"marts"}
    assert all(n > 0 for n in e.bi_rows_after.values())


def test_erasure_on_postgres_is_recorded_without_personal_data(postgres_built,
                                                                postgres_erased):
    from kizuna.warehouse import connection

    _, settings = postgres_built
    e = postgres_erased
    with connection(settings) as wh:
        requests = wh.query("SELECT request_id, email_hmac FROM audit.erasure_requests")
        removed = dict(wh.query("SELECT location, rows_removed FROM audit.erasure_removals "
                                "WHERE location_type = 'table'"))
        kinds = dict(wh.query("SELECT key_kind, count(*) FROM audit.erased_keys GROUP BY 1"))
        events = wh.query("SELECT count(*) FROM audit.batch_events WHERE event = 'erased'")[0][0]
        redacted = wh.query("SELECT count(*) FROM audit.dq_results "
                            "WHERE strpos(unexpected_sample, '[erased]') > 0")[0][0]
    assert [r[0] for r in requests] == [e.report.request_id]
    assert len(requests[0][1]) == 64 and e.needles.email not in requests[0][1]
    assert removed == e.report.tables
    assert kinds["email"] == 1 and kinds["id"] >= len(e.needles.ids)
    assert events >= len(e.report.landing_files)
    assert redacted == e.report.tables["audit.dq_results"] == 1  # the ledger's row stays


def test_loading_again_on_postgres_brings_nobody_back(postgres_erased):
    """The landing loaded again, the person's files as first delivered among it (a source
    sending them again): the files the erasure rewrote are skipped, the redelivered ones
    load without the person's rows (the suppression list, audit.erased_keys) and without
    anyone else's lost. Raw, quarantine and audit (what a load writes) searched, not
    rebuilt: a PostgreSQL build takes minutes (the DuckDB erasure test rebuilds)."""
    e = postgres_erased
    delivered = e.reloaded.batches
    assert {b.source_file for b in delivered} == set(e.report.landing_files)
    assert e.reloaded.skipped > 500  # every other file: as loaded, or as the erasure left it
    # the extra file held only the person: nothing of it is left to publish
    assert {b.status for b in delivered} == {"published", "empty"}
    assert sum(b.rows_excluded for b in delivered) == sum(e.report.landing_files.values())
    assert e.raw_rows[1] == e.raw_rows[0]
    assert e.after_reload[2] == []
