"""Train, evaluate and register the models: one loop over the recipes
(:mod:`models_ml.recipes`). What the DAGs and the CLI run (``kizuna ml train``).

For each recipe, :func:`train_model` takes the model's rows (:mod:`models_ml.datasets`
says which cutoffs train and which evaluate), fits the estimator on the training rows,
scores the evaluation rows with it and with the baselines, measures them all, refits on
every labelled row for scoring (unless the recipe scores with the evaluated model),
stores the version (:mod:`models_ml.registry`) and makes it champion only if it beats the
champion on the same evaluation rows, by the recipe's primary metric.

Scoring is :mod:`models_ml.scoring`.
"""

from __future__ import annotations

import logging
import time

from kizuna.settings import Settings, get_settings
from kizuna.warehouse import Warehouse, connection
from models_ml.artifact import ModelArtifact, Outcome, VersionMeta, metric_table_json
from models_ml.datasets import NotEnoughHistoryError, TrainingData, cutoffs_text, load_training_data
from models_ml.features import FeatureMismatchError, FeatureSpec
from models_ml.recipe import Estimator, Evaluation, Problem, Recipe, Rows, Scores, ml_threads
from models_ml.recipes import RECIPES
from models_ml.registry import ModelVersion, Registry, decide, record

# NotEnoughHistoryError: what train_all raises on a warehouse too young to train on
__all__ = ["RANDOM_STATE", "NotEnoughHistoryError", "evaluate", "train_all", "train_model"]

log = logging.getLogger(__name__)

RANDOM_STATE = 0


def train_all(settings: Settings | None = None, registry: Registry | None = None
              ) -> list[Outcome]:
    """Train every model on the warehouse's data; returns one outcome per model."""
    s = settings or get_settings()
    registry = registry or Registry()
    with connection(s) as wh, ml_threads():
        data = load_training_data(wh)
        log.info("evaluation cutoffs %s; training cutoffs %s",
                 cutoffs_text(data.evaluation_cutoffs), cutoffs_text(data.training_cutoffs))
        return [train_model(data, recipe, registry, wh) for recipe in RECIPES]


def train_model(data: TrainingData, recipe: Recipe, registry: Registry,
                wh: Warehouse) -> Outcome:
    """Train, evaluate and register one model on data already loaded."""
    started = time.monotonic()
    problem = recipe.rows(data)
    model = _fit(recipe, problem.spec, problem.training)
    evaluation, baselines = evaluate(recipe, problem, model)
    scorer = model if problem.scoring is None else _fit(recipe, problem.spec, problem.scoring)
    artifact = ModelArtifact(problem.spec, scorer, model, baselines,
                             recipe.neighbours(problem, model) if recipe.neighbours else None)
    meta = _version_meta(recipe, problem, evaluation, model)
    champion = registry.champion(recipe.name)
    champion_value, reason = _champion_value(recipe, problem, champion)
    version = registry.save(recipe.name, artifact, meta, evaluation.rows)
    promote, decision = decide(evaluation.primary_value, champion_value,
                               recipe.primary_metric, champion, reason)
    if promote:
        registry.set_champion(version, decision)
    record(wh, version, promote, decision)
    outcome = Outcome(recipe.name, version.version, promote, decision, meta.metrics,
                      time.monotonic() - started, recipe.primary_metric)
    log.info("%s: %s in %.0fs", recipe.name, _figures(evaluation), outcome.seconds)
    return outcome


def _fit(recipe: Recipe, spec: FeatureSpec, rows: Rows) -> Estimator:
    return recipe.make_estimator(spec, RANDOM_STATE).fit(rows.X, rows.y, **rows.fit_params)


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
                  model: Estimator) -> VersionMeta:
    return VersionMeta(
        estimator=recipe.estimator,
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
        params=dict(recipe.params) if recipe.params is not None else None,
        details={**problem.details, **recipe.figures(evaluation, model)},
    )


def _figures(evaluation: Evaluation) -> str:
    """``roc_auc 0.803 (logistic_regression 0.795, engagement_score 0.670)``."""
    metric, values = evaluation.primary_metric, evaluation.metrics[evaluation.primary_metric]
    baselines = ", ".join(f"{name} {value:.3f}" for name, value in values.drop("model").items())
    return f"{metric} {values['model']:.3f} ({baselines})"
