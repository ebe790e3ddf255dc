"""The model registry: champion and challenger, versions on every score, the feature check.

A synthetic feature table (300 accounts x 14 monthly cutoffs; two features carry the
signal, and the rule-based engagement score is a noisy reading of one of them) and a
DuckDB warehouse of the test's own stand in for the marts, so these run in seconds. A
recipe that sees one of the two signals makes a weaker challenger, and one whose training
labels are shuffled a model no better than the rule: the registry's rules are what is
tested.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from models_ml import datasets, scoring, training
from models_ml.artifact import Outcome
from models_ml.features import LABELS, FeatureMismatchError
from models_ml.recipe import Problem, Recipe
from models_ml.recipes import PROPENSITY_MODELS, recipe
from models_ml.recipes.propensity import OPPORTUNITY_90D
from models_ml.registry import NoChampionError, Registry
from models_ml.store import relation_exists


def _one_signal(problem: Problem) -> Problem:
    return problem.narrowed(problem.spec.without(["signal2"]))


#: The opportunity model without the second signal: better than the rule, worse than the
#: model that sees both.
NARROW = dataclasses.replace(
    OPPORTUNITY_90D, rows=lambda data: _one_signal(OPPORTUNITY_90D.rows(data)))


def synthetic_data(seed: int = 0) -> datasets.TrainingData:
    rng = np.random.default_rng(seed)
    cutoffs = pd.date_range("2025-01-01", periods=14, freq="MS")
    accounts = [f"ACC{i:04d}" for i in range(300)]
    frame = pd.DataFrame([(a, c) for c in cutoffs for a in accounts],
                         columns=["account_id", "cutoff_date"])
    n = len(frame)
    frame["signal"] = rng.normal(size=n)
    frame["signal2"] = rng.normal(size=n)
    frame["noise"] = rng.normal(size=n)
    # the rule reads the first signal through noise: a baseline worth beating
    frame["engagement_score"] = np.clip(50 + 10 * frame["signal"] + 10 * frame["noise"], 0, 100)
    frame["industry_division"] = rng.choice(["E", "G", "I"], size=n).astype(object)
    frame["abm_tier"] = "untiered"
    p = 1 / (1 + np.exp(-(-2.5 + 1.5 * frame["signal"] + 1.5 * frame["signal2"])))
    frame["label_opportunity_90d"] = (rng.random(n) < p).astype(float)
    frame["label_won_90d"] = (rng.random(n) < p / 2).astype(float)
    ends = cutoffs + pd.Timedelta(days=90)
    data_date = cutoffs[-1]
    table = pd.DataFrame({"cutoff_date": cutoffs, "label_window_end": ends,
                          "is_label_complete": ends <= data_date,
                          "is_scoring_date": cutoffs == data_date})
    frame = frame.merge(table[["cutoff_date", "is_label_complete", "is_scoring_date"]],
                        on="cutoff_date")
    for label in ("label_opportunity_90d", "label_won_90d"):
        frame[label] = frame[label].where(frame["is_label_complete"]).astype("Float64")
    # every account here is a CRM account: its ABM account key is its own
    frame["account_key"] = "crm:" + frame["account_id"]
    frame["key_source"] = "crm"
    frame["account_cutoff_key"] = frame["account_key"] + "@" + frame["cutoff_date"].astype(str)
    evaluation, train = datasets.split_cutoffs(table)
    return datasets.TrainingData(
        features=frame, products=pd.DataFrame(), cutoffs=table,
        opportunities=pd.DataFrame(), good_customers=set(), evaluation_cutoffs=evaluation,
        training_cutoffs=train,
        labelled_cutoffs=sorted(table.loc[table["is_label_complete"], "cutoff_date"]),
        names=datasets.Names(accounts={}, industries={"E": "製造業"}, products={}))


def scoring_data(data: datasets.TrainingData, features: pd.DataFrame) -> datasets.ScoringData:
    return datasets.ScoringData(features=features, products=pd.DataFrame(),
                                good_customers=set(), names=data.names)


def score_accounts(data: datasets.TrainingData, features: pd.DataFrame,
                   registry: Registry) -> pd.DataFrame:
    """ml.account_propensity's rows for ``features`` (the scoring date's)."""
    return scoring.score_table(OPPORTUNITY_90D.scores, scoring_data(data, features), registry)


def train(data: datasets.TrainingData, model: Recipe | str, registry: Registry,
          warehouse) -> Outcome:
    return training.train_model(data, recipe(model) if isinstance(model, str) else model,
                                registry, warehouse)


@pytest.fixture
def warehouse(kizuna_home):
    from kizuna.warehouse import connection

    with connection() as wh:
        yield wh


def test_evaluation_cutoffs_come_after_every_training_label():
    data = synthetic_data()
    assert len(data.evaluation_cutoffs) == datasets.EVALUATION_CUTOFFS
    first = min(data.evaluation_cutoffs)
    window = data.cutoffs.set_index("cutoff_date")["label_window_end"]
    assert all(window[c] <= first for c in data.training_cutoffs)
    assert set(data.training_cutoffs).isdisjoint(data.evaluation_cutoffs)


def test_too_short_a_history_is_refused_with_what_to_do():
    data = synthetic_data()
    short = data.cutoffs.head(4).assign(
        is_label_complete=[True, False, False, False])
    with pytest.raises(datasets.NotEnoughHistoryError,
                       match=r"not enough history to train.*Load more history"):
        datasets.split_cutoffs(short)
    with pytest.raises(datasets.NotEnoughHistoryError, match="label window has ended yet"):
        datasets.split_cutoffs(short.assign(is_label_complete=False))


def test_a_better_challenger_replaces_the_champion_a_worse_one_does_not(warehouse, tmp_path):
    data = synthetic_data()
    registry = Registry(tmp_path / "models")

    first = train(data, NARROW, registry, warehouse)
    assert first.is_champion
    assert first.decision.startswith("first version; beats its baselines: pr_auc ")
    assert "engagement_score" in first.decision

    strong = train(data, OPPORTUNITY_90D, registry, warehouse)
    assert strong.is_champion
    assert "better than " + first.version in strong.decision
    assert registry.champion("opportunity_90d").version == strong.version

    worse = train(data, NARROW, registry, warehouse)
    assert not worse.is_champion
    assert "not better than champion " + strong.version in worse.decision
    assert "same evaluation" in worse.decision
    assert registry.champion("opportunity_90d").version == strong.version

    rows = warehouse.query("SELECT model_version, is_champion FROM ml.model_registry "
                           "ORDER BY created_at")
    assert rows == [(first.version, False), (strong.version, True), (worse.version, False)]
    # the champion was measured on the challenger's own evaluation rows
    evaluation = registry.get("opportunity_90d", worse.version).evaluation_rows()
    assert set(evaluation["cutoff_date"]) == set(data.evaluation_cutoffs)


def shuffled_training_labels(data: datasets.TrainingData, seed: int = 1
                             ) -> datasets.TrainingData:
    """The data with the labels of the training cutoffs shuffled among their rows: what
    the model learns from says nothing, while the evaluation cutoffs keep their outcomes."""
    features = data.features.copy()
    rows = features["cutoff_date"].isin(data.training_cutoffs).to_numpy()
    for label in LABELS.values():
        values = features.loc[rows, label].to_numpy()
        features.loc[rows, label] = np.random.default_rng(seed).permutation(values)
    return dataclasses.replace(data, features=features)


def test_a_model_no_better_than_the_rule_is_not_champion(warehouse, tmp_path):
    data = synthetic_data()
    registry = Registry(tmp_path / "models")
    noise = shuffled_training_labels(data)

    first = train(noise, OPPORTUNITY_90D, registry, warehouse)
    metrics = first.metrics
    assert metrics["model"]["pr_auc"] <= metrics["engagement_score"]["pr_auc"]
    assert not first.is_champion
    assert first.decision.startswith("not champion: does not beat its baselines")
    assert "pr_auc" in first.decision and "<= engagement_score" in first.decision
    assert first.decision.endswith("no champion yet")
    assert registry.champion("opportunity_90d") is None
    today = data.features[data.features["is_scoring_date"]]
    with pytest.raises(NoChampionError, match="no version trained so far beat its baselines"):
        score_accounts(data, today, registry)

    real = train(data, OPPORTUNITY_90D, registry, warehouse)
    assert real.is_champion and real.decision.startswith("first version; beats")
    again = train(noise, OPPORTUNITY_90D, registry, warehouse)
    assert not again.is_champion
    assert again.decision.endswith(f"champion {real.version} stays")
    assert registry.champion("opportunity_90d").version == real.version
    decisions = dict(warehouse.query("SELECT model_version, decision FROM ml.model_registry"))
    assert decisions[first.version] == first.decision


def test_every_score_row_carries_the_champions_version(warehouse, tmp_path):
    data = synthetic_data()
    registry = Registry(tmp_path / "models")
    versions = {name: train(data, name, registry, warehouse).version
                for name in PROPENSITY_MODELS}
    today = data.features[data.features["is_scoring_date"]]
    scores = score_accounts(data, today, registry)
    assert len(scores) == 300
    assert (scores["model_version"] == versions["opportunity_90d"]).all()
    assert (scores["win_model_version"] == versions["won_90d"]).all()
    assert scores["scored_on"].unique().tolist() == [date(2026, 2, 1)]


def test_scoring_refuses_data_whose_features_differ_from_the_models(warehouse, tmp_path):
    data = synthetic_data()
    registry = Registry(tmp_path / "models")
    versions = [train(data, name, registry, warehouse).version for name in PROPENSITY_MODELS]
    today = data.features[data.features["is_scoring_date"]]
    with pytest.raises(FeatureMismatchError) as missing:
        score_accounts(data, today.drop(columns=["signal"]), registry)
    message = str(missing.value)
    assert "missing columns ['signal']" in message
    assert versions[0] in message
    assert "mart_account_features" in message and "kizuna ml train" in message
    with pytest.raises(FeatureMismatchError, match=r"of another kind \['signal'\]"):
        score_accounts(data, today.assign(signal="high"), registry)


def test_scoring_without_a_trained_model_says_to_train_first(tmp_path):
    data = synthetic_data()
    today = data.features[data.features["is_scoring_date"]]
    with pytest.raises(NoChampionError, match="kizuna ml train"):
        score_accounts(data, today, Registry(tmp_path / "models"))


def test_the_training_dag_trains_every_recipe_in_training_order():
    from models_ml.recipes import RECIPES
    from models_ml.tasks import MODELS

    assert tuple(r.name for r in RECIPES) == MODELS


def test_a_versions_metadata_and_artifact_read_back_as_they_were_stored(tmp_path):
    from models_ml.artifact import ModelArtifact, VersionMeta
    from models_ml.features import FeatureSpec

    spec = FeatureSpec(("signal", "noise"), ("industry_division",))
    meta = VersionMeta(
        estimator="a dummy", label="label_opportunity_90d", features=spec,
        evaluation_cutoff="2026-01-01", evaluation_cutoffs_text="2026-01-01 (1 cutoff)",
        training_cutoffs=["2025-01-01", "2025-02-01"],
        training_cutoffs_text="2025-01-01..2025-02-01 (2 cutoffs)", data_fingerprint="abc123",
        metrics={"model": {"roc_auc": 0.75, "brier": None, "n_rows": 10.0}},
        primary_metric="roc_auc", primary_value=0.75, params={"max_depth": 2},
        details={"training_rows": 20})
    registry = Registry(tmp_path / "models")
    artifact = ModelArtifact(spec, DummyClassifier(), DummyClassifier())
    saved = registry.save("opportunity_90d", artifact, meta)
    stored = registry.get("opportunity_90d", saved.version)
    assert stored.meta == saved.meta
    assert stored.meta.model_version == saved.version and stored.meta.created_at is not None
    assert stored.load().spec == spec


def test_an_artifact_stored_as_a_dict_by_an_earlier_version_still_loads(tmp_path):
    import joblib

    from models_ml.artifact import VersionMeta
    from models_ml.features import FeatureSpec
    from models_ml.registry import ModelVersion

    spec = FeatureSpec(("signal",), ())
    joblib.dump({"spec": spec.to_dict(), "model": "scorer", "evaluation_model": "evaluated",
                 "engagement_baseline": "rule", "popularity": "shares"},
                tmp_path / "model.joblib")
    artifact = ModelVersion("opportunity_90d", "v1", tmp_path, VersionMeta.from_json({})).load()
    assert (artifact.spec, artifact.model, artifact.evaluation_model) == (
        spec, "scorer", "evaluated")
    assert artifact.baselines == {"engagement_score": "rule", "popularity": "shares"}


def test_inputs_all_null_or_constant_are_set_aside_and_scoring_reads_the_rest(
        warehouse, tmp_path):
    """Also: ml.account_propensity is scored without a won_90d champion, its columns null."""
    data = synthetic_data()
    # no company database: size and industry unknown; nobody listed
    features = data.features.assign(employees=np.nan, is_listed=0.0, industry_division=None)
    registry = Registry(tmp_path / "models")

    out = train(dataclasses.replace(data, features=features), "opportunity_90d", registry,
                warehouse)
    rows = f"{len(data.training_cutoffs) * 300:,} training rows"
    assert out.set_aside == {"employees": f"all null on the {rows}",
                             "is_listed": f"constant (0) on the {rows}",
                             "industry_division": f"all null on the {rows}",
                             "abm_tier": f"constant (untiered) on the {rows}"}
    version = registry.get("opportunity_90d", out.version)
    assert version.meta.set_aside == out.set_aside
    assert version.load().spec.columns == ["signal", "signal2", "noise", "engagement_score"]
    (stored,) = warehouse.query("SELECT features FROM ml.model_registry")
    assert json.loads(stored[0])["set_aside"] == out.set_aside

    # scoring reads the version's inputs only: today's company data changes nothing
    today = features[features["is_scoring_date"]]
    scores = score_accounts(data, today, registry)
    enriched = score_accounts(data, today.assign(employees=120.0, industry_division="E"),
                              registry)
    assert len(scores) == 300 and scores["p_opportunity_90d"].between(0, 1).all()
    pd.testing.assert_series_equal(scores["p_opportunity_90d"], enriched["p_opportunity_90d"])
    assert (scores["model_version"] == out.version).all()
    assert scores["p_won_90d"].isna().all() and scores["win_model_version"].isna().all()


def test_a_model_with_no_positive_label_is_skipped_with_its_reason(warehouse, tmp_path):
    data = synthetic_data()
    labelled = data.features["label_won_90d"].notna()
    no_wins = data.features.assign(
        label_won_90d=data.features["label_won_90d"].where(~labelled, 0.0))
    registry = Registry(tmp_path / "models")

    out = train(dataclasses.replace(data, features=no_wins), "won_90d", registry, warehouse)
    assert out.version is None and not out.is_champion
    assert out.skipped is not None
    assert out.skipped.startswith("the training rows (2025-01-01..2025-06-01 (6 cutoffs)) hold")
    assert "hold 0 positive(s)" in out.skipped and "at least 10 of each" in out.skipped
    assert out.to_dict()["skipped"] == out.skipped
    assert registry.versions("won_90d") == []
    # the lookalike has no good customer to learn from: skipped too
    lookalike = train(data, "lookalike", registry, warehouse)
    assert lookalike.skipped is not None and "0 positive(s)" in lookalike.skipped
    assert not relation_exists(warehouse, "ml", "model_registry")  # nothing recorded


def test_a_warehouse_too_young_for_propensity_skips_it_with_the_reason(warehouse, tmp_path):
    data = synthetic_data()
    young = data.cutoffs.head(4).assign(is_label_complete=False)
    too_young = dataclasses.replace(
        data, evaluation_cutoffs=[], training_cutoffs=[],
        history_problem=_history_problem(young))
    registry = Registry(tmp_path / "models")
    out = train(too_young, "opportunity_90d", registry, warehouse)
    assert out.skipped is not None
    assert out.skipped.startswith("not enough history to train")
    # the lookalike learns from today's accounts: it trains all the same
    today = data.features[data.features["is_scoring_date"]]
    good = set(today.nlargest(60, "signal")["account_id"])
    sized = data.features.assign(employees=np.exp(data.features["signal"] + 4).round())
    lookalike = train(dataclasses.replace(too_young, features=sized, good_customers=good),
                      "lookalike", registry, warehouse)
    assert lookalike.skipped is None and lookalike.version is not None


def _history_problem(cutoffs: pd.DataFrame) -> str:
    with pytest.raises(datasets.NotEnoughHistoryError) as exc:
        datasets.split_cutoffs(cutoffs)
    return str(exc.value)

