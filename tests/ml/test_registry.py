"""The model registry: champion and challenger, versions on every score, the feature check.

A synthetic feature table (300 accounts x 14 monthly cutoffs; one feature carries the
signal) and a DuckDB warehouse of the test's own stand in for the marts, so these run in
seconds. The recipe's estimator is swapped for a deliberately weak one where a test
needs a worse (or better) challenger: the registry's rule is what is tested.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from models_ml import datasets, scoring, training
from models_ml.artifact import Outcome
from models_ml.features import FeatureMismatchError
from models_ml.recipe import Recipe
from models_ml.recipes import PROPENSITY_MODELS, recipe
from models_ml.recipes.propensity import OPPORTUNITY_90D
from models_ml.registry import Registry

#: The opportunity model with an estimator that ignores its inputs (ROC AUC 0.5).
WEAK = dataclasses.replace(
    OPPORTUNITY_90D, make_estimator=lambda spec, random_state: DummyClassifier(strategy="prior"))


def synthetic_data(seed: int = 0) -> datasets.TrainingData:
    rng = np.random.default_rng(seed)
    cutoffs = pd.date_range("2025-01-01", periods=14, freq="MS")
    accounts = [f"ACC{i:04d}" for i in range(300)]
    frame = pd.DataFrame([(a, c) for c in cutoffs for a in accounts],
                         columns=["account_id", "cutoff_date"])
    n = len(frame)
    frame["signal"] = rng.normal(size=n)
    frame["noise"] = rng.normal(size=n)
    frame["engagement_score"] = np.clip(50 + 10 * frame["noise"], 0, 100)
    frame["industry_division"] = rng.choice(["E", "G", "I"], size=n).astype(object)
    frame["abm_tier"] = "untiered"
    p = 1 / (1 + np.exp(-(-2.0 + 1.5 * frame["signal"])))
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
    frame["account_cutoff_key"] = frame["account_id"] + "@" + frame["cutoff_date"].astype(str)
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

    first = train(data, WEAK, registry, warehouse)
    assert first.is_champion and first.decision == "first version"

    strong = train(data, OPPORTUNITY_90D, registry, warehouse)
    assert strong.is_champion
    assert "better than " + first.version in strong.decision
    assert registry.champion("opportunity_90d").version == strong.version

    worse = train(data, WEAK, registry, warehouse)
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
    from models_ml.registry import NoChampionError

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
