"""The models on a world whose company database delivers names and numbers only: size,
revenue, growth, industry, listing and group are empty, as when a company has not bought
one (the session fixture ``names_only_world``). Training sets those features aside and
trains what the data supports; scoring scores with the champions that exist, and the ML
marts build with whatever was scored.

The world (300 accounts, 15 months: enough history to train) is built, trained
(``kizuna ml train``) and scored (``kizuna ml score``) once per session; the report's
tests read it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import duckdb
import pytest

if TYPE_CHECKING:
    from conftest import TrainedWorld

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("names_only_world")]

#: Features of mart_account_features that only the company database fills.
COMPANY_FEATURES = ("employees", "revenue_jpy", "revenue_growth_rate")
#: Each ml table, the model it needs a champion of, and the marts that read it.
TABLES = {"account_propensity": ("opportunity_90d", ("mart_account_propensity",)),
          "lookalike_scores": ("lookalike", ("mart_lookalike_prospects",)),
          "cross_sell_scores": ("cross_sell", ("mart_cross_sell_matrix",)),
          "lead_scores": ("lead_opportunity_90d", ("mart_lead_scores",))}


@pytest.fixture(scope="module")
def world(names_only_world: TrainedWorld) -> Iterator[Path]:
    """KIZUNA_HOME of the built world (the environment points at it for the module)."""
    built = names_only_world.world
    assert [r for r in built.results if r.status not in ("success", "pass", "no-op")] == []
    with pytest.MonkeyPatch.context() as mp:
        for key, value in built.environment().items():
            mp.setenv(key, value)
        for var in ("KIZUNA_MODELS", "KIZUNA_REPORTS"):
            mp.delenv(var, raising=False)
        yield built.home


@pytest.fixture(scope="module")
def trained(world: Path, names_only_world: TrainedWorld) -> SimpleNamespace:
    """What ``kizuna ml train`` printed and returned on the world."""
    return SimpleNamespace(output=names_only_world.train_output,
                           exit_code=names_only_world.train_exit_code)


@pytest.fixture(scope="module")
def scored(trained: SimpleNamespace, names_only_world: TrainedWorld) -> SimpleNamespace:
    """What ``kizuna ml score`` printed and returned on the trained world."""
    return SimpleNamespace(output=names_only_world.score_output,
                           exit_code=names_only_world.score_exit_code)


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
    # play (a company with a CRM account or a lead), customers on the expansion list and
    # prospects on the new-logo list, each scored with the models that are champion
    customers, prospects = query(world, "SELECT count(*) FILTER (WHERE is_customer), "
                                        "count(*) FILTER (WHERE NOT is_customer) "
                                        "FROM marts.dim_abm_accounts "
                                        "WHERE crm_account_count > 0 OR lead_count > 0")[0]
    listed = {(target_list, scored_with): n for target_list, scored_with, n in query(
        world, "SELECT target_list, scored_with, count(*) FROM marts.mart_target_accounts "
               "GROUP BY 1, 2")}
    propensity = registry.champion("opportunity_90d") is not None
    lookalike = registry.champion("lookalike") is not None
    expected = {("expansion", "fit, propensity, relationship" if propensity else
                 "fit, relationship (no propensity model yet)"): customers,
                ("new_logo", "fit, lookalike, engagement" if lookalike else
                 "fit, engagement (no lookalike model yet)"): prospects}
    assert listed == {key: n for key, n in expected.items() if n}
