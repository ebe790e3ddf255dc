"""The model registry: champion and challenger, versions on every score, the feature check.

A synthetic feature table (300 accounts x 14 monthly cutoffs; one feature carries the
signal) and a DuckDB warehouse of the test's own stand in for the marts, so these run in
seconds. Which estimator training builds is swapped for a deliberately weak one where a
test needs a worse (or better) challenger: the registry's rule is what is tested.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from models_ml import propensity, training
from models_ml.features import FeatureMismatchError
from models_ml.registry import Registry


def synthetic_data(seed: int = 0) -> training.TrainingData:
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
    evaluation, train = training.split_cutoffs(table)
    return training.TrainingData(
        features=frame, products=pd.DataFrame(), cutoffs=table,
        opportunities=pd.DataFrame(), good_customers=set(), evaluation_cutoffs=evaluation,
        training_cutoffs=train,
        labelled_cutoffs=sorted(table.loc[table["is_label_complete"], "cutoff_date"]),
        context={"account_names": {}, "industry_names": {"E": "製造業"}, "product_names": {}})


@pytest.fixture
def warehouse(kizuna_home):
    from kizuna.warehouse import connection

    with connection() as wh:
        yield wh


@pytest.fixture
def weak(monkeypatch) -> dict[str, bool]:
    """Set ``weak["on"]`` to make training build a model that ignores its inputs (ROC AUC
    0.5) instead of the gradient boosting."""
    state = {"on": False}
    real = propensity.make_gradient_boosting

    def make(spec, random_state=0):
        return DummyClassifier(strategy="prior") if state["on"] else real(spec, random_state)

    monkeypatch.setattr(propensity, "make_gradient_boosting", make)
    return state


def test_evaluation_cutoffs_come_after_every_training_label():
    data = synthetic_data()
    assert len(data.evaluation_cutoffs) == training.EVALUATION_CUTOFFS
    first = min(data.evaluation_cutoffs)
    window = data.cutoffs.set_index("cutoff_date")["label_window_end"]
    assert all(window[c] <= first for c in data.training_cutoffs)
    assert set(data.training_cutoffs).isdisjoint(data.evaluation_cutoffs)


def test_too_short_a_history_is_refused_with_what_to_do():
    data = synthetic_data()
    short = data.cutoffs.head(4).assign(
        is_label_complete=[True, False, False, False])
    with pytest.raises(training.NotEnoughHistoryError,
                       match=r"not enough history to train.*Load more history"):
        training.split_cutoffs(short)
    with pytest.raises(training.NotEnoughHistoryError, match="label window has ended yet"):
        training.split_cutoffs(short.assign(is_label_complete=False))


def test_a_better_challenger_replaces_the_champion_a_worse_one_does_not(
        warehouse, tmp_path, weak):
    data = synthetic_data()
    registry = Registry(tmp_path / "models")

    weak["on"] = True
    first = training.train_propensity(data, "opportunity_90d", registry, warehouse)
    assert first.is_champion and first.decision == "first version"

    weak["on"] = False
    strong = training.train_propensity(data, "opportunity_90d", registry, warehouse)
    assert strong.is_champion
    assert "better than " + first.version in strong.decision
    assert registry.champion("opportunity_90d").version == strong.version

    weak["on"] = True
    worse = training.train_propensity(data, "opportunity_90d", registry, warehouse)
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
    versions = {name: training.train_propensity(data, name, registry, warehouse).version
                for name in training.PROPENSITY_MODELS}
    today = data.features[data.features["is_scoring_date"]]
    scores = training.score_propensity(today, registry, data.context)
    assert len(scores) == 300
    assert (scores["model_version"] == versions["opportunity_90d"]).all()
    assert (scores["win_model_version"] == versions["won_90d"]).all()
    assert scores["scored_on"].unique().tolist() == [date(2026, 2, 1)]


def test_scoring_refuses_data_whose_features_differ_from_the_models(warehouse, tmp_path):
    data = synthetic_data()
    registry = Registry(tmp_path / "models")
    versions = [training.train_propensity(data, name, registry, warehouse).version
                for name in training.PROPENSITY_MODELS]
    today = data.features[data.features["is_scoring_date"]]
    with pytest.raises(FeatureMismatchError) as missing:
        training.score_propensity(today.drop(columns=["signal"]), registry, data.context)
    message = str(missing.value)
    assert "missing columns ['signal']" in message
    assert versions[0] in message
    assert "mart_account_features" in message and "kizuna ml train" in message
    with pytest.raises(FeatureMismatchError, match=r"of another kind \['signal'\]"):
        training.score_propensity(today.assign(signal="high"), registry, data.context)


def test_scoring_without_a_trained_model_says_to_train_first(tmp_path):
    from models_ml.registry import NoChampionError

    data = synthetic_data()
    today = data.features[data.features["is_scoring_date"]]
    with pytest.raises(NoChampionError, match="kizuna ml train"):
        training.score_propensity(today, Registry(tmp_path / "models"), data.context)
