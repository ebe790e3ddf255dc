"""A model, declared: the parts every model has, which :mod:`models_ml.training` and
:mod:`models_ml.scoring` run the same way for each (the recipes: :mod:`models_ml.recipes`).

A :class:`Recipe` says where its rows come from (a :class:`Problem`: the rows the
estimator learns from, the rows it is evaluated on, the rows the scoring version learns
from), which estimator learns, which baselines it is measured against (and which of them
a champion must beat, on which metrics), which metrics measure them all and which one
decides between champion and challenger, and which ``ml`` table its scores fill (a
:class:`ScoreTable`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Self, TypeVar

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from models_ml.artifact import ModelArtifact
from models_ml.datasets import Names, ScoringData, TrainingData
from models_ml.features import FeatureSpec
from models_ml.lookalike import GoodCustomerNeighbours

#: A scikit-learn estimator (``fit``, ``predict_proba``).
Estimator = Any


@dataclass(frozen=True)
class Rows:
    """Rows to fit on: the inputs, their labels, and what else ``fit`` takes."""

    X: pd.DataFrame
    y: np.ndarray
    fit_params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scores:
    """One scorer's scores of the evaluation rows: what ranks them and, when that is not
    a probability itself, the probability."""

    ranking: np.ndarray
    probability: np.ndarray | None = None


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One model's rows for one training run."""

    spec: FeatureSpec
    #: The evaluation model learns from these.
    training: Rows
    #: The rows every scorer is measured on (keys and features), and their outcomes.
    evaluation: pd.DataFrame
    labels: np.ndarray
    #: The columns that name an evaluation row (the ABM account, its CRM account and where
    #: its key comes from: what the truth of a simulated world is matched on).
    keys: tuple[str, ...] = ("account_key", "account_id", "key_source", "cutoff_date")
    #: The scoring model learns from these; None: the evaluation model scores.
    scoring: Rows | None = None
    data_fingerprint: str
    evaluation_cutoff: pd.Timestamp
    evaluation_cutoffs_text: str
    training_cutoffs: list[pd.Timestamp]
    training_cutoffs_text: str
    #: What the version's metadata tells besides (rows, positives...).
    details: dict[str, Any] = field(default_factory=dict)

    def evaluation_inputs(self, spec: FeatureSpec | None = None) -> pd.DataFrame:
        """The evaluation rows as ``spec``'s inputs (this problem's spec by default)."""
        return (spec or self.spec).frame(self.evaluation, "the evaluation rows")

    def narrowed(self, spec: FeatureSpec) -> Self:
        """The same problem with ``spec``'s inputs only (a subset of this one's)."""
        def rows(r: Rows) -> Rows:
            return Rows(r.X[spec.columns], r.y, r.fit_params)

        return dataclasses.replace(self, spec=spec, training=rows(self.training),
                                   scoring=None if self.scoring is None else rows(self.scoring))


#: The kind of problem a recipe makes (a Problem, or one with the model's own rows).
P = TypeVar("P", bound=Problem)


@dataclass(frozen=True)
class Baseline(Generic[P]):
    """A simpler scorer the model is measured against: ``fit`` learns from the problem's
    training rows and returns its scores of the evaluation rows, and what a version keeps
    of it (a fitted estimator; None: nothing)."""

    name: str
    fit: Callable[[P], tuple[Scores, Any]]
    #: A version becomes champion only if it beats this scorer on the recipe's
    #: ``gate_metrics``; False: shown beside the model, for comparison only.
    gates: bool = True


@dataclass(frozen=True)
class Alternative:
    """A simpler estimator a recipe's model must earn its place against: the baseline
    ``baseline`` (fitted on the same training rows, measured on the same evaluation rows)
    replaces the model unless the model beats it on PR AUC and is at least as good on
    top-decile lift. ``make`` makes it for the scoring version's rows."""

    baseline: str
    make: Callable[[FeatureSpec, int], Any]
    #: What it is, in words (the version's metadata and the registry show it).
    estimator: str
    #: Its hyperparameters, for the version's metadata.
    params: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Evaluation:
    """How the model and its baselines did on the problem's evaluation rows."""

    #: One row per evaluation row: its keys, label and every scorer's scores.
    rows: pd.DataFrame
    #: One row per scorer (``model`` first), one column per metric.
    metrics: pd.DataFrame
    primary_metric: str

    @property
    def primary_value(self) -> float:
        return float(self.metrics.loc["model", self.primary_metric])

    def chosen(self, scorer: str, former: str) -> Evaluation:
        """The same evaluation with ``scorer`` as the model, and the former model shown
        as ``former`` (its scores and metrics kept)."""
        rows = self.rows.rename(columns={"model": former,
                                         "model_probability": f"{former}_probability"})
        rows["model"] = rows[scorer]
        if f"{scorer}_probability" in rows:
            rows["model_probability"] = rows[f"{scorer}_probability"]
        metrics = self.metrics.rename(index={"model": former})
        metrics = pd.concat([metrics.loc[[scorer]].rename(index={scorer: "model"}), metrics])
        return Evaluation(rows, metrics, self.primary_metric)


@dataclass(frozen=True)
class Champion:
    """The version a model scores with."""

    version: str
    artifact: ModelArtifact

    def inputs(self, rows: pd.DataFrame, source: str) -> pd.DataFrame:
        """Its inputs from ``rows``; raises FeatureMismatchError naming the version and the
        table (``source``) when the columns are not those it was trained on."""
        on = rows["cutoff_date"].max().date() if len(rows) else "?"
        return self.artifact.spec.frame(rows, f"{source} (scoring date {on}) for {self.version}")


@dataclass(frozen=True)
class ScoreTable:
    """An ``ml`` table of scores, one row per account (or account x product) on the
    scoring date: ``score`` makes its rows from the champions of ``models`` (the first
    one's version is each row's ``model_version``)."""

    table: str
    #: The first model is required (no champion: the table is not scored); the others
    #: fill their columns when they have a champion, and leave them null otherwise.
    models: tuple[str, ...]
    score: Callable[[ScoringData, Mapping[str, Champion]], pd.DataFrame]


def positive_probability(estimator: Estimator, X: pd.DataFrame) -> np.ndarray:
    return estimator.predict_proba(X)[:, 1]


def no_figures(evaluation: Evaluation, model: Estimator) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Recipe(Generic[P]):
    """One model, declared."""

    name: str
    #: What the estimator is and what it predicts, in words (the registry shows them).
    estimator: str
    label: str
    #: The rows: what it learns from, what it is evaluated on, what scoring learns from.
    rows: Callable[[TrainingData], P]
    #: A new estimator for a problem's features, with its random state.
    make_estimator: Callable[[FeatureSpec, int], Estimator]
    baselines: tuple[Baseline[P], ...]
    #: Measures the model and the baselines: one row per scorer, one column per metric.
    metrics: Callable[[P, Mapping[str, Scores]], pd.DataFrame]
    #: The metric a challenger must beat the champion on (larger is better).
    primary_metric: str
    #: The metrics a version must beat every gating baseline on to become champion.
    gate_metrics: tuple[str, ...] = ("pr_auc", "top_decile_lift")
    #: The table its scores fill; None when another model's table holds them.
    scores: ScoreTable | None = None
    #: The model's ranking of rows (its probability of the positive class by default).
    predict: Callable[[Estimator, pd.DataFrame], np.ndarray] = positive_probability
    #: Figures of the fitted model for the version's metadata.
    figures: Callable[[Evaluation, Estimator], dict[str, Any]] = no_figures
    #: The nearest good customers, which scoring names (lookalike).
    neighbours: Callable[[P, Estimator], GoodCustomerNeighbours] | None = None
    #: Hyperparameters the version's metadata records.
    params: Mapping[str, Any] | None = None
    #: A simpler estimator chosen instead when the model does not beat it (None: the
    #: model is always the estimator), and what the model is called in its metric table
    #: when it is not chosen.
    alternative: Alternative | None = None
    former_name: str = "gradient_boosting"
    #: ``ml`` tables written from each version's evaluation when it is trained (table ->
    #: rows, without model_name and model_version, which training adds); None: none.
    audit: Callable[[Evaluation, P], Mapping[str, pd.DataFrame]] | None = None


def ml_threads() -> threadpool_limits:
    """The OpenMP threads the gradient boosting may use while training and scoring:
    KIZUNA_ML_THREADS, 1 by default. Its threads wait for each other by spinning, and on
    a machine whose other cores are busy (a DAG's other tasks, a build) two of them run
    three times slower than one."""
    return threadpool_limits(limits=int(os.environ.get("KIZUNA_ML_THREADS", "1")),
                             user_api="openmp")


# --- what the score tables share ----------------------------------------------------

def percentile(values: np.ndarray) -> np.ndarray:
    """0-100: the share of values at or below each one."""
    return pd.Series(values).rank(pct=True, method="max").to_numpy() * 100


def with_names(rows: pd.DataFrame, names: Names) -> pd.DataFrame:
    """The values reason templates name: the features plus readable names."""
    out = rows.copy()
    if "industry_division" in out:
        # an unknown industry ('?') has no name: its reasons are left out
        out["industry_name"] = out["industry_division"].map(names.industries)
    if "product_id" in out:
        out["product_name"] = out["product_id"].map(names.products).fillna(out["product_id"])
    return out
