"""The propensity models: will an account open an opportunity (``opportunity_90d``), or
win a deal (``won_90d``), within the label window after a cutoff.

Rows: every account at every labelled cutoff; the estimator learns from the training
cutoffs and is evaluated on the evaluation cutoffs (:mod:`models_ml.datasets`); the
scoring version learns from every labelled cutoff. Estimator: calibrated gradient
boosting, unless the simpler logistic regression on the same features does as well: the
trees are kept only when they beat it on PR AUC and are at least as good on top-decile
lift, on the same evaluation rows (:func:`models_ml.training.model_earns_its_place`);
otherwise the logistic regression is the model (its row ``model``, the trees' row
``gradient_boosting``). The bar: the rule-based engagement score, which a version must
beat on PR AUC and top-decile lift to become champion (:mod:`models_ml.propensity`).
Metrics: PR AUC (which decides between versions), ROC AUC, top-decile lift and
precision, Brier score. Scores:
``ml.account_propensity``, one row per account on the scoring date, with both models'
probabilities (the won deal's null while ``won_90d`` has no champion) and the opportunity
model's reasons.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from models_ml import reasons
from models_ml.datasets import (
    ScoringData,
    TrainingData,
)
from models_ml.evaluation import binary_metrics, metric_table
from models_ml.features import LABELS, account_spec, data_fingerprint
from models_ml.propensity import (
    GBM_PARAMS,
    EngagementScoreBaseline,
    make_gradient_boosting,
    make_logistic_regression,
)
from models_ml.recipe import (
    Alternative,
    Baseline,
    Champion,
    Estimator,
    Evaluation,
    Problem,
    Recipe,
    Rows,
    Scores,
    ScoreTable,
    percentile,
    with_names,
)

OPPORTUNITY, WON = "opportunity_90d", "won_90d"
SOURCE = "marts.mart_account_features"
#: The rule-based engagement score's column (the baseline's ranking).
SCORE = "engagement_score"


def propensity_problem(model_name: str, data: TrainingData) -> Problem:
    """Every account at every labelled cutoff, sorted by cutoff (the calibration folds
    are blocks of consecutive cutoffs)."""
    data.require_history()
    label = LABELS[model_name]
    spec = account_spec(data.features)
    labelled = data.features[data.features[label].notna()]
    train, test, everything = data.split_by_cutoff(labelled)
    y, y_test = train[label].astype(int).to_numpy(), test[label].astype(int).to_numpy()
    return Problem(
        spec=spec,
        training=Rows(spec.frame(train), y),
        evaluation=test,
        labels=y_test,
        scoring=Rows(spec.frame(everything), everything[label].astype(int).to_numpy()),
        data_fingerprint=data_fingerprint(labelled, [
            "account_key", "cutoff_date", label, *spec.columns]),
        **data.cutoff_fields(training_rows=len(train), evaluation_rows=len(test)),
    )


def logistic_regression(problem: Problem) -> tuple[Scores, Estimator]:
    model = make_logistic_regression(problem.spec).fit(problem.training.X, problem.training.y)
    return Scores(model.predict_proba(problem.evaluation_inputs())[:, 1]), model


def engagement_score(problem: Problem) -> tuple[Scores, Estimator]:
    rule = EngagementScoreBaseline().fit(_with_score(problem.training.X), problem.training.y)
    X = _with_score(problem.evaluation_inputs())
    return Scores(rule.decision_function(X), rule.predict_proba(X)[:, 1]), rule


def _with_score(X: pd.DataFrame) -> pd.DataFrame:
    """The inputs with the engagement score: 0 where it was set aside (constant or null:
    the data holds no engagement, and the rule ranks every account alike)."""
    return X if SCORE in X else X.assign(**{SCORE: 0.0})


def probability_metrics(problem: Problem, scores: Mapping[str, Scores]) -> pd.DataFrame:
    """Ranking metrics on each scorer's ranking, the Brier score on its probability."""
    return metric_table(problem.labels, {
        name: (s.ranking, s.ranking if s.probability is None else s.probability)
        for name, s in scores.items()})


def auc_by_cutoff(evaluation: Evaluation, model: Estimator) -> dict[str, Any]:
    """ROC AUC of each scorer on each evaluation cutoff alone (None with one class)."""
    out: dict[str, dict[str, float | None]] = {}
    for cutoff, part in evaluation.rows.groupby("cutoff_date"):
        y = part["label"].to_numpy()
        out[str(pd.Timestamp(cutoff).date())] = {
            scorer: (float(binary_metrics(y, part[scorer].to_numpy())["roc_auc"])
                     if 0 < y.sum() < len(y) else None)
            for scorer in evaluation.metrics.index}
    return {"roc_auc_by_cutoff": out}


def score_accounts(data: ScoringData, champions: Mapping[str, Champion]) -> pd.DataFrame:
    """ml.account_propensity: both probabilities, the opportunity model's rank, decile
    and three reasons."""
    rows = data.features.reset_index(drop=True)
    p = {name: champion.artifact.model.predict_proba(champion.inputs(rows, SOURCE))[:, 1]
         for name, champion in champions.items()}
    # without a won_90d champion its columns stay null (the table needs the opportunity one)
    win = champions.get(WON)
    main = champions[OPPORTUNITY]
    X = main.inputs(rows, SOURCE)
    groups = reasons.usable_groups(reasons.load_templates("propensity"),
                                   main.artifact.spec.columns)
    deltas = reasons.contributions(
        lambda frame: main.artifact.model.predict_proba(frame)[:, 1], X, groups)
    words = reasons.top_reasons(deltas, groups, with_names(rows, data.names))
    order = pd.Series(-p[OPPORTUNITY]).rank(method="first").astype(int).to_numpy()
    return pd.DataFrame({
        "account_key": rows["account_key"],
        "account_id": rows["account_id"],
        "scored_on": rows["cutoff_date"].dt.date,
        "p_opportunity_90d": p[OPPORTUNITY],
        "p_won_90d": p[WON] if win is not None else np.full(len(rows), np.nan),
        "propensity_score": np.round(percentile(p[OPPORTUNITY]), 1),
        "propensity_rank": order,
        "propensity_decile": np.minimum(10, (order - 1) * 10 // len(rows) + 1),
        "reason_1": [w[0] for w in words],
        "reason_2": [w[1] for w in words],
        "reason_3": [w[2] for w in words],
        "model_version": main.version,
        "win_model_version": win.version if win is not None else None,
    })


def propensity_recipe(model_name: str, scores: ScoreTable | None = None) -> Recipe[Problem]:
    return Recipe(
        name=model_name,
        estimator="HistGradientBoostingClassifier (target-encoded industries) calibrated "
                  "by CalibratedClassifierCV (sigmoid, 3 blocks of cutoffs)",
        label=LABELS[model_name],
        rows=functools.partial(propensity_problem, model_name),
        make_estimator=make_gradient_boosting,
        # the rule is the bar; the logistic regression on the same features is the
        # simpler model the trees must beat to be chosen (on the demo's world it ranks
        # as well, and its probabilities hold out of time better)
        baselines=(Baseline("logistic_regression", logistic_regression, gates=False),
                   Baseline("engagement_score", engagement_score)),
        metrics=probability_metrics,
        primary_metric="pr_auc",
        scores=scores,
        figures=auc_by_cutoff,
        params=GBM_PARAMS,
        alternative=Alternative(
            "logistic_regression", lambda spec, random_state: make_logistic_regression(spec),
            estimator="LogisticRegression (C=0.1) on signed-log, standardised features "
                      "(industries one-hot)",
            params={"C": 0.1}),
    )


OPPORTUNITY_90D = propensity_recipe(
    OPPORTUNITY, ScoreTable("account_propensity", (OPPORTUNITY, WON), score_accounts))
#: Its probabilities are written beside the opportunity model's, in the same table.
WON_90D = propensity_recipe(WON)
