"""The simulated world written as vendor export files -> adapters -> raw, against the world.

A small world is written as Salesforce's export CSVs (the CRM) and Marketo's exports (the
MA tool), mapped by their adapters and loaded through the ordinary loader and gate. Every
raw row must be the world's row, except where the vendor's shape cannot carry it: those
differences are stated below, each with its reason, and asserted exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from kizuna.contract import ENTITIES, Entity
from kizuna.identifiers import literal
from kizuna.ingest.adapt import NOT_SELECTED
from kizuna.ingest.load import LoadReport
from kizuna.simulator.config import SimulationConfig
from kizuna.simulator.vendors import native_parquet, simulate_as_vendors
from kizuna.simulator.world import SimulationResult, simulate

# one worker writes the world once; the last test builds it through to the target list
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("vendor_world")]

CONFIG = SimulationConfig(seed=7, n_accounts=200, start=date(2025, 10, 1),
                          end=date(2026, 3, 31))
VENDORS = {"salesforce": "salesforce_export", "marketo": "marketo_export"}
FOLDER_DAYS = 7

#: What the round trip changes, per raw table and column: the world's value it is expected
#: to come back as (SQL over the world's row), and why.
CHANGED: dict[str, dict[str, tuple[str, str]]] = {
    "ma_activities": {
        "asset_id": ("case when activity_type = 'content_download' then null else asset_id end",
                     "Marketo has no standard content download: it is a custom activity "
                     "type, and the adapter keeps assets only for e-mail, web and form "
                     "activities"),
    },
    "crm_accounts": {
        "account_name": ("trim(account_name)", "the adapter trims text fields"),
        "domain": ("nullif(regexp_replace(regexp_replace(lower(trim(domain)), '^[a-z]+://', ''),"
                   " '^www\\.|[/?#:].*$', '', 'g'), '')",
                   "Salesforce has a Website, read back as its host without www"),
    },
    "crm_contacts": {
        "email": ("trim(email)", "the adapter trims text fields"),
    },
    "crm_contracts": {
        "status": ("case when status = 'churned' then 'churned' when ended_on < "
                   "cast(updated_at as date) then 'expired' else 'active' end",
                   "an asset is installed or obsolete: a term renewed or run out on the "
                   "day it ended reads back active"),
    },
    "crm_activities": {
        "outcome": ("case when activity_type = 'email' then 'sent' "
                    "when outcome in ('inbound', 'no_answer') then outcome "
                    "else 'completed' end",
                    "a done task or event records neither a reply nor acceptance, "
                    "decline, pending or no-show"),
    },
}
#: Rows the vendor path adds: every Salesforce contact (version) is an MA lead as well.
EXTRA_ROWS = {"ma_leads": "crm_contacts"}


@dataclass
class VendorRun:
    result: SimulationResult
    load: LoadReport
    native: Path  # the same world's contract tables, as Parquet
    warehouse: Path


@pytest.fixture(scope="module")
def vendor_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VendorRun]:
    from kizuna.pipeline import load_and_gate

    out = tmp_path_factory.mktemp("vendor_world")
    result, world = simulate_as_vendors(CONFIG, out, VENDORS, folder_days=FOLDER_DAYS)
    assert world.sources_file is not None
    native = tmp_path_factory.mktemp("native_world")
    simulate(CONFIG, native, specs=native_parquet())  # the same seed: the same world
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KIZUNA_HOME", str(out))
        mp.setenv("KIZUNA_SOURCES", str(world.sources_file))
        mp.delenv("KIZUNA_LANDING", raising=False)
        mp.delenv("KIZUNA_DUCKDB_PATH", raising=False)
        mp.delenv("KIZUNA_WAREHOUSE", raising=False)
        # folders of several days start up to FOLDER_DAYS - 1 days before the world does
        report = load_and_gate(CONFIG.start - timedelta(days=FOLDER_DAYS),
                               CONFIG.end + timedelta(days=1))
    yield VendorRun(result, report, native / "landing", out / "warehouse" / "kizuna.duckdb")


@pytest.fixture
def con(vendor_run: VendorRun) -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    c.execute("SET TimeZone = 'UTC'")
    c.execute(f"ATTACH {literal(str(vendor_run.warehouse))} AS wh (READ_ONLY)")
    yield c
    c.close()


def test_every_vendor_row_is_mapped_and_loaded_without_quarantine(
        vendor_run: VendorRun, con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT vendor, vendor_table, target_table, outcome, coalesce(reason, ''), "
        "sum(row_count) FROM wh.audit.vendor_mapping GROUP BY ALL ORDER BY ALL").fetchall()
    assert {r[0] for r in rows} == set(VENDORS)
    assert [r for r in rows if r[4] == NOT_SELECTED] == []
    assert [r for r in rows if r[3] != "mapped"] == []
    assert con.execute("SELECT count(*) FROM wh.quarantine.vendor_excluded_rows"
                       ).fetchone() == (0,)
    assert vendor_run.load.rows_quarantined() == 0, [
        b.message for b in vendor_run.load.batches if b.rows_quarantined]


def test_raw_tables_hold_the_worlds_rows_plus_contacts_as_leads(
        vendor_run: VendorRun, con: duckdb.DuckDBPyConnection) -> None:
    counts = vendor_run.result.counts
    loaded = {e.table: con.execute(f"SELECT count(*) FROM wh.raw.{e.table}").fetchall()[0][0]
              for e in ENTITIES}
    expected = dict(counts)
    for table, extra in EXTRA_ROWS.items():
        expected[table] += counts[extra]
    assert loaded == expected
    # the extra leads are the Salesforce contacts, under their contact ids
    from_crm = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE lead_id IN (SELECT contact_id FROM "
        "wh.raw.crm_contacts)) FROM wh.raw.ma_leads "
        "WHERE _source_file LIKE '%/salesforce.parquet'").fetchone()
    assert from_crm == (counts["crm_contacts"], counts["crm_contacts"])


def _raw_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return dict(con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog "
        "= 'wh' AND table_schema = 'raw' AND table_name = ?", [table]).fetchall())


@pytest.mark.parametrize("entity", [e for e in ENTITIES if e.source in ("ma", "crm")],
                         ids=lambda e: e.table)
def test_raw_rows_are_the_worlds_except_what_the_vendor_cannot_carry(
        vendor_run: VendorRun, con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    """Ids, timestamps (UTC), stages, types and amounts come back as the world wrote them;
    the columns in CHANGED come back as stated there, and only those."""
    types = _raw_types(con, entity.table)
    changed = CHANGED.get(entity.table, {})
    expected = ", ".join(
        f"CAST({changed[c][0] if c in changed else c} AS {types[c]}) AS {c}"
        for c in entity.column_names)
    got = ", ".join(entity.column_names)
    where = ("WHERE _source_file NOT LIKE '%/salesforce.parquet'"
             if entity.table in EXTRA_ROWS else "")
    root = vendor_run.native / entity.source / entity.name
    world = f"read_parquet({literal(str(root))} || '/*/*.parquet')"
    missing = con.execute(f"SELECT {expected} FROM {world} EXCEPT ALL "
                          f"SELECT {got} FROM wh.raw.{entity.table} {where} LIMIT 5").fetchall()
    extra = con.execute(f"SELECT {got} FROM wh.raw.{entity.table} {where} EXCEPT ALL "
                        f"SELECT {expected} FROM {world} LIMIT 5").fetchall()
    assert (missing, extra) == ([], []), "world's rows not in raw, raw rows not in the world"
    # each stated change is real in this world (else its reason is stale)
    for col, (expr, reason) in changed.items():
        differs = con.execute(f"SELECT count(*) FROM {world} WHERE CAST({expr} AS "
                              f"{types[col]}) IS DISTINCT FROM {col}").fetchall()[0][0]
        assert differs > 0, f"{entity.table}.{col} is unchanged; stale reason: {reason}"


def test_the_vendor_world_builds_through_to_the_target_list(vendor_run: VendorRun) -> None:
    """From the vendors' documented files to the ML target list: the transform builds with
    no failure, identity resolution links leads as it does on the native world, training
    trains what six months support (nothing raises), and every account is on the target
    list, saying what ranked it (the transform builds the ML marts from whatever was
    scored; six months are too few for any model, so scoring says nothing was scored)."""
    from kizuna.pipeline import build_warehouse, score_models, train_models
    from models_ml.registry import NoChampionError

    out = vendor_run.warehouse.parent.parent
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KIZUNA_HOME", str(out))
        mp.setenv("KIZUNA_SOURCES", str(out / "sources.yml"))
        for var in ("KIZUNA_LANDING", "KIZUNA_DUCKDB_PATH", "KIZUNA_WAREHOUSE", "KIZUNA_MODELS",
                    "KIZUNA_REPORTS"):
            mp.delenv(var, raising=False)
        failed = [r for r in build_warehouse() if r.status not in ("success", "pass", "no-op")]
        assert failed == []
        train_models()
        try:
            score_models()
        except NoChampionError as err:
            assert "nothing scored" in str(err)
    c = duckdb.connect()
    c.execute(f"ATTACH {literal(str(vendor_run.warehouse))} AS wh (READ_ONLY)")
    c.execute(f"CREATE TABLE truth AS SELECT * FROM read_csv("
              f"{literal(str(out / 'truth' / 'lead_company.csv'))}, all_varchar = true)")
    c.execute(f"CREATE TABLE accounts AS SELECT * FROM read_csv("
              f"{literal(str(out / 'truth' / 'account_company.csv'))}, all_varchar = true)")
    linked, right = c.execute(
        """SELECT count(l.account_id), count(*) FILTER (WHERE a.corporate_number
                                                     = t.corporate_number)
           FROM wh.marts.dim_leads l
           JOIN truth t ON t.record_type = 'ma_lead' AND t.record_id = l.lead_id
           LEFT JOIN accounts a ON a.account_id = l.account_id""").fetchone()
    primary = c.execute("SELECT count(*) FROM wh.marts.dim_accounts "
                        "WHERE account_id = primary_account_id").fetchone()[0]
    targets = c.execute("SELECT count(*), count(DISTINCT scored_with) "
                        "FROM wh.marts.mart_target_accounts").fetchone()
    c.close()
    assert linked > 0 and right / linked >= 0.98
    assert targets == (primary, 1)
