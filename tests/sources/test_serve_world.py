"""A simulated world served from the mock vendor APIs and extracted back.

One small world is written as HubSpot's Fivetran tables, and as Salesforce's and Marketo's
export files. Each is loaded twice: from the files (the vendor's writer -> its adapter), and
through the APIs (the files served by the mock servers -> the real extractors -> the
``*_fivetran`` adapters). An API serves each record as it is now, so where the files hold
every version of a record, the API path holds its latest one; beyond that, raw must hold
the same rows, except what is stated below with its reason.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import duckdb
import pytest

from kizuna.contract import ENTITIES
from kizuna.identifiers import literal
from kizuna.ingest.adapt import NOT_SELECTED
from kizuna.simulator.config import SimulationConfig
from kizuna.simulator.vendors import native_parquet, write_as_vendors
from kizuna.simulator.world import simulate
from kizuna.sources.adapters import adapter
from kizuna.sources.extract import RetryPolicy, extract_object, extractor
from kizuna.sources.extract.serve import WorldServer, api_home

# one worker builds the worlds once (make test distributes by group)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serve_world")]

CONFIG = SimulationConfig(seed=5, n_accounts=40, start=date(2026, 1, 1), end=date(2026, 2, 28))
FOLDER_DAYS = 120  # the files in one delivery: loading stays quick
LAST = CONFIG.end
FAST = RetryPolicy(max_attempts=2, backoff_factor=0.01, max_delay=1)


@dataclass(frozen=True)
class Case:
    vendors: dict[str, str]
    #: Raw rows of the file path the API path does not carry: table -> (SQL condition over
    #: the file path's row, why).
    lost: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Columns that come back otherwise through the API: table -> column -> (SQL over the
    #: file path's row giving the API path's value, why).
    changed: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)


CASES = {
    "hubspot": Case(vendors={"hubspot": "hubspot_fivetran"}),
    "salesforce_marketo": Case(
        vendors={"salesforce": "salesforce_export", "marketo": "marketo_export"}),
}


@dataclass
class Loaded:
    files: Path  # the warehouse loaded from the files
    api: Path  # ... and through the APIs
    served: dict[str, dict[str, int]]  # vendor -> object -> records served
    landed: dict[str, dict[str, int]]  # vendor -> landing table -> rows extracted
    seconds: dict[str, float]


def _env(mp: pytest.MonkeyPatch, home: Path) -> None:
    mp.setenv("KIZUNA_HOME", str(home))
    mp.setenv("KIZUNA_SOURCES", str(home / "sources.yml"))
    for var in ("KIZUNA_LANDING", "KIZUNA_DUCKDB_PATH", "KIZUNA_WAREHOUSE"):
        mp.delenv(var, raising=False)


def _load(home: Path) -> None:
    from kizuna.pipeline import load_and_gate

    with pytest.MonkeyPatch.context() as mp:
        _env(mp, home)
        # a folder of several days is dated by its last day, up to FOLDER_DAYS - 1 days
        # after the world ends
        report = load_and_gate(CONFIG.start, LAST + timedelta(days=FOLDER_DAYS))
    assert report.rows_quarantined() == 0, [b.message for b in report.batches]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Loaded]:
    root = tmp_path_factory.mktemp("served_world")
    simulate(CONFIG, root / "native", specs=native_parquet())
    out: dict[str, Loaded] = {}
    for name, case in CASES.items():
        files, api = root / name / "files", root / name / "api"
        write_as_vendors(root / "native" / "landing", files / "landing", case.vendors,
                         files / "sources.yml", FOLDER_DAYS)
        api_home(files, api)
        seconds: dict[str, float] = {}
        served: dict[str, dict[str, int]] = {}
        landed: dict[str, dict[str, int]] = {}
        # the first run of the extract DAG the day after the last delivery (the world's
        # files are dated by the last day of their FOLDER_DAYS)
        until = datetime.combine(LAST + timedelta(days=FOLDER_DAYS), clock(), tzinfo=UTC)
        with WorldServer(files) as world:
            for vendor, s in world.vendors.items():
                started = time.perf_counter()
                ex = extractor(vendor, s.credentials(), FAST)
                landed[vendor] = {}
                for obj in ex.objects():
                    result = extract_object(ex, obj, api / "landing", LAST, until)
                    landed[vendor].update({t: n for t, n in result.rows.items() if n})
                seconds[f"extract {vendor}"] = time.perf_counter() - started
                served[vendor] = s.objects.rows
        for path, home in (("files", files), ("api", api)):
            started = time.perf_counter()
            _load(home)
            seconds[f"load {path}"] = time.perf_counter() - started
        out[name] = Loaded(files / "warehouse" / "kizuna.duckdb",
                           api / "warehouse" / "kizuna.duckdb", served, landed, seconds)
    return out


@pytest.fixture(params=list(CASES))
def world(request: pytest.FixtureRequest, loaded: dict[str, Loaded]
          ) -> Iterator[tuple[Case, Loaded, duckdb.DuckDBPyConnection]]:
    run = loaded[request.param]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"ATTACH {literal(str(run.files))} AS files (READ_ONLY)")
    con.execute(f"ATTACH {literal(str(run.api))} AS api (READ_ONLY)")
    yield CASES[request.param], run, con
    con.close()


def _latest(entity_table: str, case: Case) -> str:
    """The file path's rows of a raw table the vendors deliver, each key in its latest
    version; of a table no vendor delivers (copied as the world wrote it), every row (SQL)."""
    ent = next(e for e in ENTITIES if e.table == entity_table)
    if not any(entity_table in adapter(w).entities for w in case.vendors.values()):
        return f"files.raw.{entity_table}"
    keys = ", ".join(ent.key)
    order = "updated_at DESC NULLS LAST, " if "updated_at" in ent.column_names else ""
    return (f"(SELECT * FROM files.raw.{entity_table} QUALIFY row_number() OVER (PARTITION BY "
            f"{keys} ORDER BY {order}_source_file DESC, _row_number DESC) = 1)")


def test_every_extracted_row_is_mapped_or_excluded_with_a_reason(
        world, record_property: pytest.RecordProperty) -> None:
    case, run, con = world
    record_property("figures", {"served": run.served, "landed": run.landed, "seconds": {
        k: round(v, 1) for k, v in run.seconds.items()}})
    reasons = con.execute("SELECT DISTINCT vendor, coalesce(reason, '') FROM "
                          "api.audit.vendor_mapping").fetchall()
    assert {r[0] for r in reasons} == set(case.vendors)
    assert [r for r in reasons if r[1] == NOT_SELECTED] == []
    assert all(n > 0 for rows in run.landed.values() for n in rows.values())


@pytest.mark.parametrize("entity", [e.table for e in ENTITIES])
def test_the_api_path_holds_the_latest_version_of_every_row_the_files_hold(
        world, entity: str) -> None:
    """Row counts: one per key of the file path (its latest version), less what the
    vendor's API path cannot carry; and the rows themselves, column by column, except the
    columns stated as changed."""
    case, _, con = world
    ent = next(e for e in ENTITIES if e.table == entity)
    files = _latest(entity, case)
    condition, reason = case.lost.get(entity, ("false", ""))
    lost = con.execute(f"SELECT count(*) FROM {files} WHERE {condition}").fetchone()[0]
    if entity in case.lost:
        assert lost > 0, f"nothing lost; stale reason: {reason}"
    kept = f"(SELECT * FROM {files} WHERE NOT ({condition}))"
    keys = con.execute(f"SELECT count(*) FROM {kept}").fetchone()[0]
    assert con.execute(f"SELECT count(*) FROM api.raw.{entity}").fetchone()[0] == keys
    changed = case.changed.get(entity, {})
    cols = ", ".join(f"CAST({changed[c][0] if c in changed else c} AS VARCHAR)"
                     for c in ent.column_names)
    plain = ", ".join(f"CAST({c} AS VARCHAR)" for c in ent.column_names)
    missing = con.execute(f"SELECT {cols} FROM {kept} EXCEPT ALL SELECT {plain} FROM "
                          f"api.raw.{entity} LIMIT 3").fetchall()
    extra = con.execute(f"SELECT {plain} FROM api.raw.{entity} EXCEPT ALL SELECT {cols} "
                        f"FROM {kept} LIMIT 3").fetchall()
    assert (missing, extra) == ([], []), "file rows not in the API path, API rows not in files"
    for col, (expr, why) in changed.items():
        differs = con.execute(f"SELECT count(*) FROM {kept} WHERE CAST({expr} AS VARCHAR) "
                              f"IS DISTINCT FROM CAST({col} AS VARCHAR)").fetchone()[0]
        assert differs > 0, f"{entity}.{col} is unchanged; stale reason: {why}"
