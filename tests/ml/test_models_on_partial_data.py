"""The models on a world whose company database delivers names and numbers only: size,
revenue, growth, industry, listing and group are empty, as when a company has not bought
one. Training sets those features aside and trains what the data supports; scoring scores
with the champions that exist, and the ML marts build with whatever was scored.

One world for the module (300 accounts, 15 months: enough history to train), built,
trained (``kizuna ml train``) and scored (``kizuna ml score``) once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ml_partial_data")]

#: The company database's columns left empty (corporate number, name and domain remain).
BLANKED = ("industry_code", "employees", "revenue_jpy", "revenue_growth_rate",
           "parent_corporate_number", "listed", "prefecture")
#: Features of mart_account_features that only the company database fills.
COMPANY_FEATURES = ("employees", "revenue_jpy", "revenue_growth_rate")
#: Each ml table, the model it needs a champion of, and the marts that read it.
TABLES = {"account_propensity": ("opportunity_90d", ("mart_account_propensity",)),
          "lookalike_scores": ("lookalike", ("mart_lookalike_prospects",)),
          "cross_sell_scores": ("cross_sell", ("mart_cross_sell_matrix",))}


def blank_company_database(landing: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted((landing / "firmo" / "companies").glob("*/*.parquet"))
    for f in files:
        table = pq.read_table(f)
        for col in BLANKED:
            i = table.schema.get_field_index(col)
            table = table.set_column(i, col, pa.nulls(table.num_rows, table.schema.field(col).type))
        pq.write_table(table, f)
    return len(files)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """KIZUNA_HOME of the built world (the environment points at it for the module)."""
    from kizuna.pipeline import build_warehouse
    from kizuna.pipeline import load_and_gate as load_window
    from kizuna.simulator import SimulationConfig, simulate

    home = tmp_path_factory.mktemp("ml-partial-data")
    cfg = SimulationConfig(seed=42, n_accounts=300, start=date(2025, 1, 1),
                           end=date(2026, 3, 31))
    mp = pytest.MonkeyPatch()
    mp.setenv("KIZUNA_HOME", str(home))
    mp.setenv("KIZUNA_WAREHOUSE", "duckdb")
    mp.setenv("KIZUNA_LANDING", str(home / "landing"))
    mp.setenv("KIZUNA_DUCKDB_PATH", str(home / "warehouse" / "kizuna.duckdb"))
    for var in ("KIZUNA_MODELS", "KIZUNA_REPORTS"):
        mp.delenv(var, raising=False)
    try:
        simulate(cfg, out_dir=home)
        assert blank_company_database(home / "landing") > 0
        load_window(cfg.start, cfg.end + timedelta(days=1))
        results = build_warehouse()
        assert [r for r in results if r.status not in ("success", "pass", "no-op")] == []
        yield home
    finally:
        mp.undo()


def kizuna(*args: str) -> Any:
    from typer.testing import CliRunner

    from kizuna.cli import app

    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def trained(world: Path) -> Any:
    return kizuna("ml", "train")


@pytest.fixture(scope="module")
def scored(trained: Any) -> Any:
    return kizuna("ml", "score")


def query(home: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse" / "kizuna.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_empty_company_features_are_set_aside_and_the_models_train(world, trained):
    from models_ml.registry import Registry
    from models_ml.tasks import MODELS

    assert trained.exit_code == 0, trained.output
    assert "set aside, all null on the" in trained.output
    registry = Registry()
    versions = {name: registry.versions(name) for name in MODELS}
    assert any(versions.values())
    for name, stored in versions.items():
        for version in stored:
            set_aside = version.meta.set_aside
            for feature in COMPANY_FEATURES:
                if feature in set_aside:
                    assert set_aside[feature].startswith("all null on the "), name
                    assert feature not in version.meta.features.columns
            assert "employees" in set_aside, name  # every model reads the size
    registered = query(world, "SELECT model_name, features FROM ml.model_registry")
    assert len(registered) == sum(len(v) for v in versions.values())
    assert all('"set_aside": {"employees": "all null on the' in f for _, f in registered)


def test_scoring_uses_the_champions_that_exist_and_every_ml_mart_builds(world, scored):
    from models_ml.registry import Registry

    assert scored.exit_code == 0, scored.output
    assert "ML marts rebuilt" in scored.output
    registry = Registry()
    for table, (model, marts) in TABLES.items():
        rows = query(world, f"SELECT count(*) FROM ml.{table}")[0][0]
        has_champion = registry.champion(model) is not None
        assert (rows > 0) == has_champion, (table, rows)
        if not has_champion:
            assert f"ml.{table}: not scored" in scored.output
        for mart in marts:
            in_mart = query(world, f"SELECT count(*) FROM marts.{mart}")[0][0]
            assert (in_mart > 0) == has_champion, (mart, in_mart)
    # the target list is there either way, and says what ranked it: every ABM account in
    # play (a company with a CRM account or a lead, customers and prospects)
    accounts = query(world, "SELECT count(*) FROM marts.dim_abm_accounts "
                            "WHERE crm_account_count > 0 OR lead_count > 0")[0][0]
    listed = dict(query(world, "SELECT scored_with, count(*) FROM marts.mart_target_accounts "
                               "GROUP BY 1"))
    propensity = registry.champion("opportunity_90d") is not None
    assert listed == {("fit, propensity, relationship" if propensity else
                       "fit, relationship (no propensity model yet)"): accounts}
