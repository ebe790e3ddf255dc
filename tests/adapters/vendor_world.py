"""The round trip of a simulated world through vendor files, as a test class to subclass.

A small world is written by simulator writers in vendors' shapes (``WorldCase.vendors``),
mapped by their adapters and loaded through the ordinary loader and gate. Every raw row must
be the world's row, except where the vendor's shape cannot carry it: those differences are
stated in ``WorldCase.changed``, each with its reason, and asserted real. Where the vendor
reshapes records (:class:`BuildsThroughTests`), the world is then built through the
transform, ML training and scoring to the target list, and the lead -> account links are
read as the build measured them against the truth (``marts.kpi_identity_accuracy``).

A test module names its world and subclasses :class:`VendorWorldTests`::

    pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("world_hubspot_export")]

    class TestHubSpotExport(BuildsThroughTests):
        case = WorldCase(config=..., vendors={"hubspot": "hubspot_export"})

(one xdist group per module, so one worker writes and builds the world once).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

import duckdb
import pytest

from kizuna.contract import ENTITIES, Entity
from kizuna.identifiers import literal
from kizuna.ingest.adapt import NOT_SELECTED
from kizuna.ingest.load import LoadReport
from kizuna.simulator.config import SimulationConfig
from kizuna.simulator.vendors import simulate_as_vendors
from kizuna.simulator.world import SimulationResult

#: Precision of lead -> account links against the truth that every vendor path must keep.
MIN_LEAD_ACCOUNT_PRECISION = 0.98


@dataclass(frozen=True)
class WorldCase:
    """One world and the vendors that write it."""

    config: SimulationConfig
    vendors: dict[str, str]  # landing folder -> writer
    folder_days: int = 1
    #: What the round trip changes, per raw table and column: the world's value it is
    #: expected to come back as (SQL over the world's row), and why.
    changed: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    #: Rows a vendor path adds to a raw table: raw table -> (the world's table they are
    #: copies of, the landing folder that delivers them), e.g. Salesforce contacts that
    #: are MA leads as well.
    extra_rows: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Rows of the world the vendor's shape cannot carry at all: raw table -> (SQL
    #: condition over the world's row that holds for exactly those rows, why).
    dropped: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Raw tables whose rows the vendor's shape reshapes beyond a column-wise comparison
    #: (its own ids, records merged): table -> why. Their rows are not compared with the
    #: world's; the build's accuracy against the truth is what measures the path.
    not_compared: dict[str, str] = field(default_factory=dict)
    #: Vendor rows the adapters exclude although the writer wrote them: reason -> how many,
    #: as SQL over the world's tables written ``{table}`` (e.g. HubSpot contacts without
    #: a company are leads only: ``SELECT count(*) FROM {ma_leads} WHERE ...``).
    excluded: dict[str, str] = field(default_factory=dict)
    #: Where the vendors' files carry other rows than the world's (two vendors holding one
    #: person, versions a vendor never sees): raw table -> (SQL over the world's tables,
    #: each a view named as its raw table, giving the rows the files carry, and why). Its
    #: extra columns may serve the ``changed`` expressions (e.g. which vendor delivers it).
    rows: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Lead -> account recall the path must reach (the build's own measurement, which
    #: reads the writers' truth/lead_ids.csv where the vendor's lead ids are not the world's).
    min_lead_recall: float = 0.0


@dataclass
class WorldRun:
    result: SimulationResult
    load: LoadReport
    native: Path  # the same world's contract tables, as Parquet
    warehouse: Path
    home: Path


def _world_env(mp: pytest.MonkeyPatch, home: Path) -> None:
    mp.setenv("KIZUNA_HOME", str(home))
    mp.setenv("KIZUNA_SOURCES", str(home / "sources.yml"))
    for var in ("KIZUNA_LANDING", "KIZUNA_DUCKDB_PATH", "KIZUNA_WAREHOUSE", "KIZUNA_MODELS",
                "KIZUNA_REPORTS"):
        mp.delenv(var, raising=False)


def compared_entities(case: WorldCase) -> list[Entity]:
    return [e for e in ENTITIES if e.table not in case.not_compared]


def _native(world: WorldRun, table: str) -> str:
    """The world's ``table`` as the writers read it (SQL)."""
    ent = next(e for e in ENTITIES if e.table == table)
    return f"read_parquet({literal(str(world.native / ent.source / ent.name))} || '/*/*.parquet')"


def _raw_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return dict(con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog "
        "= 'wh' AND table_schema = 'raw' AND table_name = ?", [table]).fetchall())


class VendorWorldTests:
    """The round-trip tests; a subclass sets ``case``."""

    case: ClassVar[WorldCase]

    @pytest.fixture(scope="class")
    def world(self, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorldRun]:
        from kizuna.pipeline import load_and_gate

        case = self.case
        home = tmp_path_factory.mktemp("vendor_world")
        native = home.parent / f"{home.name}-native"
        result, world = simulate_as_vendors(case.config, home, case.vendors,
                                            folder_days=case.folder_days, keep_native=native)
        assert world.sources_file == home / "sources.yml"
        with pytest.MonkeyPatch.context() as mp:
            _world_env(mp, home)
            # folders of several days are dated by their last day: up to folder_days - 1
            # days after the world ends
            report = load_and_gate(case.config.start,
                                   case.config.end + timedelta(days=case.folder_days))
        yield WorldRun(result, report, native, home / "warehouse" / "kizuna.duckdb", home)

    @pytest.fixture
    def con(self, world: WorldRun) -> Iterator[duckdb.DuckDBPyConnection]:
        c = duckdb.connect()
        c.execute("SET TimeZone = 'UTC'")
        c.execute(f"ATTACH {literal(str(world.warehouse))} AS wh (READ_ONLY)")
        for e in ENTITIES:  # the world's tables, for the case's rows
            root = world.native / e.source / e.name
            if sorted(root.glob("*/*.parquet")):
                c.execute(f"CREATE VIEW {e.table} AS SELECT * FROM "
                          f"read_parquet({literal(str(root))} || '/*/*.parquet')")
        yield c
        c.close()

    def test_every_vendor_row_is_mapped_and_loaded_without_quarantine(
            self, world: WorldRun, con: duckdb.DuckDBPyConnection) -> None:
        rows = con.execute(
            "SELECT vendor, vendor_table, target_table, outcome, coalesce(reason, ''), "
            "sum(row_count) FROM wh.audit.vendor_mapping GROUP BY ALL ORDER BY ALL").fetchall()
        assert {r[0] for r in rows} == set(self.case.vendors)
        assert [r for r in rows if r[4] == NOT_SELECTED] == []
        excluded: dict[str, int] = {}
        for r in rows:
            if r[3] != "mapped":
                excluded[r[4]] = excluded.get(r[4], 0) + int(r[5])
        tables = {e.table: _native(world, e.table) for e in ENTITIES}
        expected = {reason: con.execute(sql.format(**tables)).fetchone()[0]
                    for reason, sql in self.case.excluded.items()}
        assert excluded == expected
        assert con.execute("SELECT count(*) FROM wh.quarantine.vendor_excluded_rows"
                           ).fetchone() == (sum(expected.values()),)
        assert world.load.rows_quarantined() == 0, [
            b.message for b in world.load.batches if b.rows_quarantined]

    def test_raw_tables_hold_the_worlds_rows(
            self, world: WorldRun, con: duckdb.DuckDBPyConnection) -> None:
        counts = {t: n for t, n in world.result.counts.items()
                  if t not in self.case.not_compared}
        loaded = {e.table: con.execute(f"SELECT count(*) FROM wh.raw.{e.table}"
                                       ).fetchall()[0][0]
                  for e in ENTITIES if e.table not in self.case.not_compared}
        expected = dict(counts)
        for table, (condition, _) in self.case.dropped.items():
            expected[table] -= con.execute(
                f"SELECT count(*) FROM {_native(world, table)} WHERE {condition}"
            ).fetchone()[0]
        for table, (query, _) in self.case.rows.items():
            expected[table] = con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]
        for table, (copied, vendor) in self.case.extra_rows.items():
            expected[table] += world.result.counts[copied]
            # the extra rows are the copied table's, under its ids
            key = next(e for e in ENTITIES if e.table == copied).key[0]
            own_key = next(e for e in ENTITIES if e.table == table).key[0]
            from_vendor = con.execute(
                f"SELECT count(*), count(*) FILTER (WHERE {own_key} IN (SELECT {key} FROM "
                f"wh.raw.{copied})) FROM wh.raw.{table} "
                f"WHERE _source_file LIKE {literal(f'%/{vendor}.parquet')}").fetchone()
            n = world.result.counts[copied]
            assert from_vendor == (n, n), table
        assert loaded == expected

    # parametrized by tests/adapters/conftest.py: the entities the case compares
    def test_raw_rows_are_the_worlds_except_what_the_vendor_cannot_carry(
            self, world: WorldRun, con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
        """Ids, timestamps (UTC), stages, types and amounts come back as the world wrote
        them; the columns in ``changed`` come back as stated there, and only those."""
        types = _raw_types(con, entity.table)
        changed = self.case.changed.get(entity.table, {})
        expected = ", ".join(
            f"CAST({changed[c][0] if c in changed else c} AS {types[c]}) AS {c}"
            for c in entity.column_names)
        got = ", ".join(entity.column_names)
        where = ""
        if entity.table in self.case.extra_rows:
            vendor = self.case.extra_rows[entity.table][1]
            where = f"WHERE _source_file NOT LIKE {literal(f'%/{vendor}.parquet')}"
        if not sorted((world.native / entity.source / entity.name).glob("*/*.parquet")):
            # none at this size: none may appear
            assert con.execute(f"SELECT count(*) FROM wh.raw.{entity.table}").fetchone() == (0,)
            return
        native = _native(world, entity.table)
        if entity.table in self.case.rows:
            native = f"({self.case.rows[entity.table][0]})"
        if entity.table in self.case.dropped:
            condition, reason = self.case.dropped[entity.table]
            assert con.execute(f"SELECT count(*) FROM {native} WHERE {condition}"
                               ).fetchone()[0] > 0, f"nothing dropped; stale reason: {reason}"
            native = f"(SELECT * FROM {native} WHERE NOT ({condition}))"
        missing = con.execute(f"SELECT {expected} FROM {native} EXCEPT ALL SELECT {got} "
                              f"FROM wh.raw.{entity.table} {where} LIMIT 5").fetchall()
        extra = con.execute(f"SELECT {got} FROM wh.raw.{entity.table} {where} EXCEPT ALL "
                            f"SELECT {expected} FROM {native} LIMIT 5").fetchall()
        assert (missing, extra) == ([], []), "world's rows not in raw, raw rows not in world"
        # each stated change is real in this world (else its reason is stale)
        for col, (expr, reason) in changed.items():
            differs = con.execute(f"SELECT count(*) FROM {native} WHERE CAST({expr} AS "
                                  f"{types[col]}) IS DISTINCT FROM {col}").fetchall()[0][0]
            assert differs > 0, f"{entity.table}.{col} is unchanged; stale reason: {reason}"

    def test_the_truth_names_the_world_lead_of_the_vendors_leads(
            self, world: WorldRun, con: duckdb.DuckDBPyConnection) -> None:
        """Where a writer delivers MA leads, truth/lead_ids.csv names each vendor lead id as
        the adapters key it (every id it names is a raw lead) and the world's lead it is,
        which the build's accuracy reads."""
        from kizuna.simulator.vendors import LEAD_IDS_SQL, WRITERS_DIR

        path = world.home / "truth" / "lead_ids.csv"
        with_leads = [w for w in self.case.vendors.values()
                      if (WRITERS_DIR / w / LEAD_IDS_SQL).is_file()]
        assert path.is_file() == bool(with_leads)
        if not with_leads:
            return
        named, unknown, worlds = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE lead_id NOT IN (SELECT lead_id FROM "
            f"wh.raw.ma_leads)), count(*) FILTER (WHERE world_lead_id NOT IN (SELECT "
            f"lead_id FROM ma_leads)) FROM read_csv({literal(str(path))}, "
            "all_varchar = true)").fetchone()
        assert named > 0 and (unknown, worlds) == (0, 0)


class BuildsThroughTests(VendorWorldTests):
    """The round trip, then the build through to the target list: for the vendor paths
    whose raw rows the column-wise comparison cannot vouch for (records a vendor merges or
    adds, names a vendor writes its own way). A path whose every raw row is the world's row
    (changed only where stated) feeds the build what the native world feeds it, which
    tests/dbt and tests/ml build; such a path subclasses :class:`VendorWorldTests` only."""

    def test_the_world_builds_through_to_the_target_list(
            self, world: WorldRun, record_property: pytest.RecordProperty) -> None:
        """From the vendors' documented files to the ML target list: the transform builds
        with no failure, lead -> account links are as precise as on the native world,
        training trains what the months support (nothing raises), and every account in play
        (customers and prospects) is on the target list, saying what ranked it (a few months
        are too few for any model, so scoring may say nothing was scored)."""
        from kizuna.pipeline import build_warehouse, score_models, train_models
        from models_ml.registry import NoChampionError

        with pytest.MonkeyPatch.context() as mp:
            _world_env(mp, world.home)
            failed = [r for r in build_warehouse()
                      if r.status not in ("success", "pass", "no-op")]
            assert failed == []
            train_models()
            try:
                score_models()
            except NoChampionError as err:
                assert "nothing scored" in str(err)
        c = duckdb.connect()
        c.execute(f"ATTACH {literal(str(world.warehouse))} AS wh (READ_ONLY)")
        measured = dict(c.execute(
            "SELECT metric, value FROM wh.marts.kpi_identity_accuracy").fetchall())
        # every ABM account in play: a company with a CRM account or a lead
        in_play = c.execute("SELECT count(*) FROM wh.marts.dim_abm_accounts "
                            "WHERE crm_account_count > 0 OR lead_count > 0").fetchone()[0]
        # each target list (new logos, expansion) is scored one way
        targets = c.execute("SELECT sum(n), max(ways) FROM (SELECT count(*) AS n, "
                            "count(DISTINCT scored_with) AS ways "
                            "FROM wh.marts.mart_target_accounts GROUP BY target_list)"
                            ).fetchone()
        c.close()
        for metric in ("lead_account_precision", "lead_account_recall"):
            record_property(metric, round(measured[metric], 5))
        assert measured["lead_account_precision"] >= MIN_LEAD_ACCOUNT_PRECISION
        assert measured["lead_account_recall"] >= self.case.min_lead_recall
        assert targets == (in_play, 1)
