"""The lead-scoring model: will a lead's account get a new opportunity within the label
window after a cutoff (``lead_opportunity_90d``), for every MA lead.

Rows: every lead at every labelled cutoff (``intermediate.int_ml_lead_features``: the lead's
behaviour and its account's state, point in time); the estimator learns from the
training cutoffs and is evaluated on the later evaluation cutoffs, as the propensity
models are (:mod:`models_ml.datasets`); the scoring version learns from every labelled
cutoff. Estimator: gradient boosting calibrated by CalibratedClassifierCV (sigmoid, 3
shuffled folds: :func:`models_ml.lead_scoring.make_lead_gradient_boosting`), unless the
logistic regression, calibrated the same way, does as well on PR AUC and top-decile lift.
The bar: the behaviour score (the points kpi_lead_score_calibration bands), which a
version must beat on PR AUC and top-decile lift to become champion.
Metrics: PR AUC (which decides between versions), ROC AUC, top-decile lift, Brier, and
conversion in the top and bottom deciles and on average. Each version's calibration
table on its evaluation cutoffs goes to ``ml.lead_score_calibration``; scores to
``ml.lead_scores``, one row per lead on the scoring date.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from models_ml.datasets import NotTrainableError, ScoringData, TrainingData
from models_ml.evaluation import metric_table
from models_ml.features import LEAD_LABEL, data_fingerprint, lead_spec
from models_ml.lead_scoring import (
    calibration_table,
    decile_figures,
    deciles,
    make_lead_gradient_boosting,
    make_lead_logistic_regression,
)
from models_ml.propensity import GBM_PARAMS, EngagementScoreBaseline
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
)

NAME = "lead_opportunity_90d"
SOURCE = "intermediate.int_ml_lead_features"
#: The lead's behaviour score (the baseline's ranking).
SCORE = "behaviour_score"


def by_cutoff(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows in cutoff order, then lead (the calibration period is the latest cutoffs)."""
    return frame.sort_values(["cutoff_date", "lead_id"], kind="stable").reset_index(drop=True)


def _rows(spec, frame: pd.DataFrame) -> Rows:
    return Rows(spec.frame(frame), frame[LEAD_LABEL].astype(int).to_numpy())


def lead_problem(data: TrainingData) -> Problem:
    """Every lead at every labelled cutoff, in cutoff order."""
    data.require_history()
    if data.leads.empty:
        raise NotTrainableError(f"no lead rows: {SOURCE} is empty or not built yet "
                                "(kizuna_transform builds it)")
    spec = lead_spec(data.leads)
    labelled = data.leads[data.leads[LEAD_LABEL].notna()]
    train, test, everything = data.split_by_cutoff(labelled)
    return Problem(
        spec=spec,
        training=_rows(spec, train),
        evaluation=test,
        labels=test[LEAD_LABEL].astype(int).to_numpy(),
        keys=("lead_id", "account_key", "cutoff_date"),
        scoring=_rows(spec, everything),
        data_fingerprint=data_fingerprint(labelled, [
            "lead_id", "cutoff_date", LEAD_LABEL, *spec.columns]),
        **data.cutoff_fields(training_rows=len(train), evaluation_rows=len(test)),
    )


def logistic_regression(problem: Problem) -> tuple[Scores, Estimator]:
    training = problem.training
    model = make_lead_logistic_regression(problem.spec).fit(training.X, training.y)
    return Scores(model.predict_proba(problem.evaluation_inputs())[:, 1]), model


def behaviour_score(problem: Problem) -> tuple[Scores, Estimator]:
    """The behaviour score as it ranks leads, mapped to a probability on the training rows."""
    rule = EngagementScoreBaseline(column=SCORE).fit(_with_score(problem.training.X),
                                                     problem.training.y)
    X = _with_score(problem.evaluation_inputs())
    return Scores(rule.decision_function(X), rule.predict_proba(X)[:, 1]), rule


def _with_score(X: pd.DataFrame) -> pd.DataFrame:
    """The inputs with the behaviour score: 0 where it was set aside (no lead acted)."""
    return X if SCORE in X else X.assign(**{SCORE: 0.0})


def lead_metrics(problem: Problem, scores: Mapping[str, Scores]) -> pd.DataFrame:
    """The propensity models' metrics, with conversion in the top and bottom deciles and
    on average (and calibration figures where a scorer gives probabilities)."""
    scorers = {name: (s.ranking, s.ranking if s.probability is None else s.probability)
               for name, s in scores.items()}
    table = metric_table(problem.labels, scorers)
    deciles_by_scorer = {name: decile_figures(problem.labels, ranking, probability)
                         for name, (ranking, probability) in scorers.items()}
    return table.join(pd.DataFrame.from_dict(deciles_by_scorer, orient="index"))


def calibration_figures(evaluation: Evaluation, model: Estimator) -> dict[str, object]:
    """The model's calibration table on the evaluation cutoffs, for the version's metadata."""
    table = _calibration(evaluation)
    return {"calibration_by_decile": table.round(4).to_dict(orient="records")}


def _calibration(evaluation: Evaluation) -> pd.DataFrame:
    rows = evaluation.rows
    return calibration_table(rows["label"].to_numpy(), rows["model"].to_numpy())


def calibration_audit(evaluation: Evaluation, problem: Problem) -> dict[str, pd.DataFrame]:
    """ml.lead_score_calibration: the model's deciles on the evaluation cutoffs."""
    return {"lead_score_calibration": _calibration(evaluation).assign(
        evaluation_cutoffs=problem.evaluation_cutoffs_text)}


def score_leads(data: ScoringData, champions: Mapping[str, Champion]) -> pd.DataFrame:
    """ml.lead_scores: every lead's behaviour score, probability, rank and decile."""
    champion = champions[NAME]
    rows = data.leads.reset_index(drop=True)
    p = champion.artifact.model.predict_proba(champion.inputs(rows, SOURCE))[:, 1]
    order = pd.Series(-p).rank(method="first").astype(int).to_numpy()
    return pd.DataFrame({
        "lead_id": rows["lead_id"],
        "account_key": rows["account_key"],
        "account_id": rows["account_id"],
        "scored_on": rows["cutoff_date"].dt.date,
        "behaviour_score": rows[SCORE],
        "p_opportunity_90d": p,
        "lead_score_rank": order,
        "lead_score_decile": deciles(p),
        "model_version": champion.version,
    })


LEAD_OPPORTUNITY_90D: Recipe[Problem] = Recipe(
    name=NAME,
    estimator="HistGradientBoostingClassifier (lead sources one-hot) calibrated by "
              "CalibratedClassifierCV (sigmoid, 3 shuffled stratified folds)",
    label="a new opportunity at the lead's account within the label window",
    rows=lead_problem,
    make_estimator=make_lead_gradient_boosting,
    baselines=(Baseline("logistic_regression", logistic_regression, gates=False),
               Baseline("behaviour_score", behaviour_score)),
    metrics=lead_metrics,
    primary_metric="pr_auc",
    scores=ScoreTable("lead_scores", (NAME,), score_leads),
    figures=calibration_figures,
    params=GBM_PARAMS,
    alternative=Alternative(
        "logistic_regression", make_lead_logistic_regression,
        estimator="LogisticRegression (C=0.1) on signed-log, standardised features (lead "
                  "sources one-hot), calibrated the same way",
        params={"C": 0.1}),
    audit=calibration_audit,
)
