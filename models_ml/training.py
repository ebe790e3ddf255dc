"""Train, evaluate and register the models: one loop over the recipes
(:mod:`models_ml.recipes`). What the DAGs and the CLI run (``kizuna ml train``).

For each recipe, :func:`train_model` takes the model's rows (:mod:`models_ml.datasets`
says which cutoffs train and which evaluate) and trains only what the data supports:

1. a model with no training rows, or fewer than ``MIN_TRAINING_OUTCOMES`` of either
   outcome to learn from (``MIN_EVALUATION_OUTCOMES`` to be evaluated on), or too short a
   history, is skipped with the reason (:class:`NotTrainableError`), never fitted;
2. inputs that are all null or constant on the training rows are set aside
   (:func:`models_ml.features.screen_features`; a model left without inputs is skipped):
   the version's features are the rest, which scoring reads, and its metadata names those
   set aside and why;
3. the estimator is fitted on the training rows, scores the evaluation rows with the
   baselines, all are measured, and the scoring version is refitted on every labelled row
   (unless the recipe scores with the evaluated model);
4. the version is stored (:mod:`models_ml.registry`) and becomes champion only if it beats
   its gating baselines on the recipe's gate metrics (PR AUC and top-decile lift) and the
   champion on the same evaluation rows by the recipe's primary metric.

Scoring is :mod:`models_ml.scoring`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from kizuna.settings import Settings, get_settings
from kizuna.warehouse import Warehouse, connection
from models_ml.artifact import ModelArtifact, Outcome, VersionMeta, metric_table_json
from models_ml.datasets import (
    NotEnoughHistoryError,
    NotTrainableError,
    TrainingData,
    cutoffs_text,
    load_training_data,
)
from models_ml.features import FeatureMismatchError, FeatureSpec, screen_features, set_aside_text
from models_ml.recipe import Estimator, Evaluation, Problem, Recipe, Rows, Scores, ml_threads
from models_ml.recipes import RECIPES
from models_ml.registry import ModelVersion, Registry, beats_baselines, decide, record
from models_ml.store import replace_rows

# NotEnoughHistoryError, NotTrainableError: why a model is skipped (the DAG tasks skip too)
__all__ = ["MIN_EVALUATION_OUTCOMES", "MIN_TRAINING_OUTCOMES", "RANDOM_STATE",
           "NotEnoughHistoryError", "NotTrainableError", "evaluate",
           "model_earns_its_place", "train_all", "train_model"]

log = logging.getLogger(__name__)

RANDOM_STATE = 0
#: Fewest rows of each outcome (positive, negative) a model learns from: fewer teach it
#: one accident, and its calibration folds would lack a class.
MIN_TRAINING_OUTCOMES = 10
#: Fewest rows of each outcome it is evaluated on: PR AUC and lift need both, and a few.
MIN_EVALUATION_OUTCOMES = 3


def train_all(settings: Settings | None = None, registry: Registry | None = None
              ) -> list[Outcome]:
    """Train every model the data supports; returns one outcome per model (a skipped
    one says why)."""
    s = settings or get_settings()
    registry = registry or Registry()
    with connection(s) as wh, ml_threads():
        data = load_training_data(wh)
        log.info("evaluation cutoffs %s; training cutoffs %s",
                 cutoffs_text(data.evaluation_cutoffs), cutoffs_text(data.training_cutoffs))
        return [train_model(data, recipe, registry, wh) for recipe in RECIPES]


def train_model(data: TrainingData, recipe: Recipe, registry: Registry,
                wh: Warehouse) -> Outcome:
    """Train, evaluate and register one model on data already loaded; a model the data
    does not support is skipped (the outcome says why)."""
    started = time.monotonic()
    try:
        problem = recipe.rows(data)
        require_outcomes(problem)
        screening = screen_features(problem.spec, problem.training.X)
        if not screening.spec.columns:
            raise NotTrainableError(
                "no usable feature: every input is all null or constant on "
                f"the training rows ({set_aside_text(screening.set_aside)})")
    except NotTrainableError as exc:
        log.warning("%s not trained: %s", recipe.name, exc)
        return Outcome.skip(recipe.name, str(exc), time.monotonic() - started)
    if screening.set_aside:
        log.info("%s: %d feature(s) set aside: %s", recipe.name, len(screening.set_aside),
                 set_aside_text(screening.set_aside))
    problem = problem.narrowed(screening.spec)
    model = _fit(recipe.make_estimator, problem.spec, problem.training)
    evaluation, baselines = evaluate(recipe, problem, model)
    make, estimator, params = recipe.make_estimator, recipe.estimator, recipe.params
    choice: dict[str, str] = {}
    alternative = recipe.alternative
    if alternative is not None and alternative.baseline in baselines:
        keep, why = model_earns_its_place(evaluation.metrics, alternative.baseline)
        choice = {"estimator_choice": why}
        if not keep:
            # the simpler estimator, fitted on the same training rows, is the model
            model = baselines[alternative.baseline]
            evaluation = evaluation.chosen(alternative.baseline, recipe.former_name)
            make, estimator, params = alternative.make, alternative.estimator, alternative.params
        log.info("%s: %s", recipe.name, why)
    scorer = model if problem.scoring is None else _fit(make, problem.spec, problem.scoring)
    artifact = ModelArtifact(problem.spec, scorer, model, baselines,
                             recipe.neighbours(problem, model) if recipe.neighbours else None)
    meta = _version_meta(recipe, problem, evaluation, model, screening.set_aside,
                         estimator, params, choice)
    champion = registry.champion(recipe.name)
    champion_value, reason = _champion_value(recipe, problem, champion)
    version = registry.save(recipe.name, artifact, meta, evaluation.rows)
    gate = beats_baselines(evaluation.metrics, [b.name for b in recipe.baselines if b.gates],
                           recipe.gate_metrics)
    promote, decision = decide(evaluation.primary_value, champion_value,
                               recipe.primary_metric, champion, reason, gate)
    if promote:
        registry.set_champion(version, decision)
    record(wh, version, promote, decision)
    if recipe.audit is not None:
        for table, frame in recipe.audit(evaluation, problem).items():
            replace_rows(wh, table, frame.assign(model_name=recipe.name,
                                                 model_version=version.version),
                         {"model_version": version.version})
    outcome = Outcome(recipe.name, version.version, promote, decision, meta.metrics,
                      time.monotonic() - started, recipe.primary_metric,
                      set_aside=screening.set_aside)
    log.info("%s: %s in %.0fs; %s", recipe.name, _figures(evaluation), outcome.seconds,
             decision)
    return outcome


def require_outcomes(problem: Problem) -> None:
    """Raise :class:`NotTrainableError` unless the problem has rows of both outcomes to
    learn from (``MIN_TRAINING_OUTCOMES`` each) and to be evaluated on
    (``MIN_EVALUATION_OUTCOMES`` each)."""
    for what, y, least in (("training", problem.training.y, MIN_TRAINING_OUTCOMES),
                           ("evaluation", problem.labels, MIN_EVALUATION_OUTCOMES)):
        y = np.asarray(y).astype(int)
        positives, negatives = int(y.sum()), int(len(y) - y.sum())
        if len(y) == 0:
            raise NotTrainableError(f"no {what} rows "
                                    f"({_where(problem, what)})")
        if positives < least or negatives < least:
            raise NotTrainableError(
                f"the {what} rows ({_where(problem, what)}) hold {positives:,} "
                f"positive(s) and {negatives:,} negative(s); at least {least} of each are "
                "needed. Load more data (more accounts or months) and rebuild.")


def _where(problem: Problem, what: str) -> str:
    return (problem.training_cutoffs_text if what == "training"
            else problem.evaluation_cutoffs_text)


def _fit(make: Callable[[FeatureSpec, int], Estimator], spec: FeatureSpec, rows: Rows
         ) -> Estimator:
    return make(spec, RANDOM_STATE).fit(rows.X, rows.y, **rows.fit_params)


def model_earns_its_place(metrics: pd.DataFrame, simpler: str) -> tuple[bool, str]:
    """Whether the model (``metrics``' row ``model``) beats the simpler estimator
    ``simpler`` on the same evaluation rows: better on PR AUC and at least as good on
    top-decile lift (ROC AUC alone rewards ranking the many easy negatives); and why, in
    words."""
    model, other = metrics.loc["model"], metrics.loc[simpler]
    keep = bool(model["pr_auc"] > other["pr_auc"]
                and model["top_decile_lift"] >= other["top_decile_lift"])
    figures = (f"PR AUC {model['pr_auc']:.4f} vs {other['pr_auc']:.4f}, top-decile lift "
               f"{model['top_decile_lift']:.2f} vs {other['top_decile_lift']:.2f}")
    if keep:
        return True, f"the model beats {simpler} ({figures})"
    return False, (f"{simpler} chosen: the model does not beat it on both PR AUC and "
                   f"top-decile lift ({figures})")


def evaluate(recipe: Recipe, problem: Problem, model: Estimator
             ) -> tuple[Evaluation, dict[str, object]]:
    """The model and the baselines on the evaluation rows, and what the version keeps
    of each baseline."""
    scores = {"model": Scores(recipe.predict(model, problem.evaluation_inputs()))}
    kept: dict[str, object] = {}
    for baseline in recipe.baselines:
        scores[baseline.name], state = baseline.fit(problem)
        if state is not None:
            kept[baseline.name] = state
    columns: dict[str, object] = {"label": problem.labels}
    for name, s in scores.items():
        columns[name] = s.ranking
        if s.probability is not None:
            columns[f"{name}_probability"] = s.probability
    rows = problem.evaluation[list(problem.keys)].assign(**columns)
    return Evaluation(rows, recipe.metrics(problem, scores), recipe.primary_metric), kept


def _champion_value(recipe: Recipe, problem: Problem, champion: ModelVersion | None
                    ) -> tuple[float | None, str]:
    """The champion's primary metric on this problem's evaluation rows (None without a
    champion, or one that cannot read them), and why there is none."""
    if champion is None:
        return None, "first version"
    artifact = champion.load()
    try:
        inputs = problem.evaluation_inputs(artifact.spec)
    except FeatureMismatchError as exc:
        log.warning("champion %s cannot be evaluated: %s", champion.version, exc)
        return None, "the champion's features no longer match the data"
    ranking = recipe.predict(artifact.evaluation_model, inputs)
    metrics = recipe.metrics(problem, {"model": Scores(ranking)})
    return float(metrics.loc["model", recipe.primary_metric]), ""


def _version_meta(recipe: Recipe, problem: Problem, evaluation: Evaluation,
                  model: Estimator, set_aside: dict[str, str], estimator: str,
                  params: Mapping[str, Any] | None, choice: dict[str, str]) -> VersionMeta:
    return VersionMeta(
        estimator=estimator,
        label=recipe.label,
        features=problem.spec,
        evaluation_cutoff=str(problem.evaluation_cutoff.date()),
        evaluation_cutoffs_text=problem.evaluation_cutoffs_text,
        training_cutoffs=[str(c.date()) for c in problem.training_cutoffs],
        training_cutoffs_text=problem.training_cutoffs_text,
        data_fingerprint=problem.data_fingerprint,
        metrics=metric_table_json(evaluation.metrics),
        primary_metric=recipe.primary_metric,
        primary_value=evaluation.primary_value,
        params=dict(params) if params is not None else None,
        set_aside=set_aside,
        details={**problem.details, **choice, **recipe.figures(evaluation, model)},
    )


def _figures(evaluation: Evaluation) -> str:
    """``roc_auc 0.803 (logistic_regression 0.795, engagement_score 0.670)``."""
    metric, values = evaluation.primary_metric, evaluation.metrics[evaluation.primary_metric]
    baselines = ", ".join(f"{name} {value:.3f}" for name, value in values.drop("model").items())
    return f"{metric} {values['model']:.3f} ({baselines})"
