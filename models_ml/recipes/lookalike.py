"""The lookalike model: which ordinary customers and prospects resemble the good
customers, and which good customers they resemble most (:mod:`models_ml.lookalike`).

Rows: every account on the scoring date; the good customers are the labelled positives,
a stable quarter of them held out, and the model is evaluated on ranking the held-out
good customers among the unlabelled accounts (by g(x): P(positive | x) = g(x) / c is
clipped at 1, which would tie the top); the version that learnt this is the one that
scores. Baseline: firmographic size (employees), which a version must beat on PR AUC and
top-decile lift to become champion. Metrics: ROC AUC (which decides between versions), PR
AUC, top-decile lift and precision. Scores: ``ml.lookalike_scores``, one row per account that
is not a good customer, with its three most similar good customers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models_ml import reasons
from models_ml.datasets import NotTrainableError, ScoringData, TrainingData
from models_ml.evaluation import metric_table
from models_ml.features import account_spec, data_fingerprint
from models_ml.lookalike import (
    ElkanNotoClassifier,
    GoodCustomerNeighbours,
    holdout_mask,
    lookalike_spec,
    make_lookalike,
)
from models_ml.recipe import (
    Baseline,
    Champion,
    Evaluation,
    Problem,
    Recipe,
    Rows,
    Scores,
    ScoreTable,
    with_names,
)

NAME = "lookalike"


@dataclass(frozen=True, kw_only=True)
class LookalikeProblem(Problem):
    #: The good customers' rows, whom the neighbours name.
    good: pd.DataFrame


def lookalike_problem(data: TrainingData) -> LookalikeProblem:
    rows = data.features[data.features["is_scoring_date"]].reset_index(drop=True)
    if rows.empty:
        raise NotTrainableError("marts.mart_account_features has no account on the scoring "
                                "date: build the marts first (kizuna_transform)")
    spec = lookalike_spec(account_spec(data.features))
    s = rows["account_id"].isin(data.good_customers).to_numpy().astype(int)
    holdout = holdout_mask(rows["account_id"]) & (s == 1)
    X = spec.frame(rows)
    # evaluation: the held-out good customers among the unlabelled accounts
    scope = (s == 0) | holdout
    on = rows["cutoff_date"].max()
    return LookalikeProblem(
        spec=spec,
        training=Rows(X, s, {"holdout": holdout}),
        evaluation=rows[scope],
        labels=holdout[scope].astype(int),
        data_fingerprint=data_fingerprint(X.assign(account_key=rows["account_key"], s=s),
                                          ["account_key", "s", *spec.columns]),
        evaluation_cutoff=on,
        evaluation_cutoffs_text=f"{on.date()} (held-out good customers)",
        training_cutoffs=[on],
        training_cutoffs_text=f"{on.date()} (the scoring date)",
        details={"positives": int(s.sum()), "holdout_positives": int(holdout.sum())},
        good=rows[s == 1],
    )


def labelled_probability(model: ElkanNotoClassifier, X: pd.DataFrame) -> np.ndarray:
    return model.labelled_proba(X)


def firmographic_size(problem: Problem) -> tuple[Scores, None]:
    return Scores(problem.evaluation["employees"].fillna(0).to_numpy()), None


def ranking_metrics(problem: Problem, scores: Mapping[str, Scores]) -> pd.DataFrame:
    """The ranking metrics (none of the scorers is a probability of being a good customer:
    no Brier score)."""
    table = metric_table(problem.labels, {name: (s.ranking, None) for name, s in scores.items()})
    return table.drop(columns=["brier"])


def label_frequency(evaluation: Evaluation, model: ElkanNotoClassifier) -> dict[str, Any]:
    return {"label_frequency_c": model.c_}


def good_customer_neighbours(problem: LookalikeProblem, model: ElkanNotoClassifier
                             ) -> GoodCustomerNeighbours:
    good = problem.good
    return GoodCustomerNeighbours(model).fit(problem.spec.frame(good), good["account_id"])


def score_prospects(data: ScoringData, champions: Mapping[str, Champion]) -> pd.DataFrame:
    """ml.lookalike_scores: every account but the good customers, with its score, rank,
    the three good customers it resembles most and why."""
    champion = champions[NAME]
    artifact = champion.artifact
    features = data.features
    rows = features[~features["account_id"].isin(data.good_customers)].reset_index(drop=True)
    X = champion.inputs(rows, "marts.mart_account_features")
    model = artifact.model
    g = model.labelled_proba(X)
    p = model.predict_proba(X)[:, 1]
    if artifact.neighbours is None:
        raise ValueError(f"{champion.version} holds no good-customer neighbours: train a new "
                         "lookalike version (kizuna ml train --model lookalike)")
    ids, _ = artifact.neighbours.kneighbors(X)
    groups = reasons.usable_groups(reasons.load_templates("lookalike"), artifact.spec.columns)
    deltas = reasons.contributions(lambda frame: model.predict_proba(frame)[:, 1], X, groups)
    words = reasons.top_reasons(deltas, groups, with_names(rows, data.names), k=2)
    # the three nearest good customers' ids (None where there are fewer)
    similar: list[list[Any]] = [[ids[i, j] if j < ids.shape[1] else None for j in range(3)]
                                for i in range(len(rows))]
    names = data.names.accounts

    return pd.DataFrame({
        "account_key": rows["account_key"],
        "account_id": rows["account_id"],
        "scored_on": rows["cutoff_date"].dt.date,
        "customer_status": np.where(rows["is_customer"] > 0, "ordinary_customer", "prospect"),
        "lookalike_score": np.round(p * 100, 1),
        "lookalike_rank": pd.Series(-g).rank(method="first").astype(int).to_numpy(),
        **{f"similar_account_{j + 1}": [s[j] for s in similar] for j in range(3)},
        **{f"similar_name_{j + 1}": [names.get(s[j]) for s in similar] for j in range(3)},
        "reason_1": [f"resembles {names.get(s[0], s[0])}" for s in similar],
        "reason_2": [w[0] for w in words],
        "reason_3": [w[1] for w in words],
        "model_version": champion.version,
    })


LOOKALIKE: Recipe[LookalikeProblem] = Recipe(
    name=NAME,
    estimator="Elkan-Noto positive-unlabelled classifier over a logistic regression; "
              "nearest good customers in its weighted feature space",
    label="is_good_customer (kpi_customer_value, seed customer_segments)",
    rows=lookalike_problem,
    make_estimator=make_lookalike,
    baselines=(Baseline("firmographic_size", firmographic_size),),
    metrics=ranking_metrics,
    primary_metric="roc_auc",
    scores=ScoreTable("lookalike_scores", (NAME,), score_prospects),
    predict=labelled_probability,
    figures=label_frequency,
    neighbours=good_customer_neighbours,
)
