"""Train, evaluate and register the models; score the latest cutoff and write ``ml``.

What the DAGs and the CLI run (``kizuna ml train`` / ``kizuna ml score``):

:func:`train_all`
    For each model: fit on several historic cutoffs, evaluate on later ones against the
    baselines, refit for scoring on every labelled cutoff, store the version (registry)
    and make it champion only if it beats the champion on the same evaluation.

    *Evaluation cutoffs*: the latest ``EVALUATION_CUTOFFS`` (3) cutoffs whose label
    windows have ended by the data date, pooled (one cutoff holds too few new
    opportunities for a steady AUC). *Training cutoffs*: those whose label window ended
    by the first evaluation cutoff (their labels were known then), so nothing about the
    evaluation cutoffs' future is used to predict them. With a short history there are
    fewer evaluation cutoffs, down to one.

:func:`score_all`
    Scores every account on the scoring date (the data date) with each champion, checks
    that the data's features are the champion's, explains the scores, and replaces that
    date's rows in ``ml.account_propensity``, ``ml.lookalike_scores`` and
    ``ml.cross_sell_scores``; every row carries its ``model_version``.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import yaml
from threadpoolctl import threadpool_limits

from kizuna.settings import DBT_PROJECT_DIR, Settings, get_settings
from kizuna.warehouse import Warehouse, connection
from models_ml import cross_sell, lookalike, propensity, reasons
from models_ml.evaluation import binary_metrics, metric_table
from models_ml.features import (
    LABELS,
    FeatureMismatchError,
    FeatureSpec,
    account_spec,
    data_fingerprint,
    load_account_features,
    load_product_features,
)
from models_ml.registry import ModelVersion, Registry, decide, record
from models_ml.store import read_frame, replace_rows

log = logging.getLogger(__name__)

PROPENSITY_MODELS = tuple(LABELS)  # opportunity_90d, won_90d
LOOKALIKE = "lookalike"
CROSS_SELL = "cross_sell"
RANDOM_STATE = 0
#: Later cutoffs the propensity models are evaluated on, pooled (fewer when history is short).
EVALUATION_CUTOFFS = 3
#: Fewest historic cutoffs a model is trained on.
MIN_TRAINING_CUTOFFS = 2


def ml_threads() -> threadpool_limits:
    """The OpenMP threads the gradient boosting may use while training and scoring:
    KIZUNA_ML_THREADS, 1 by default. Its threads wait for each other by spinning, and on
    a machine whose other cores are busy (a DAG's other tasks, a build) two of them run
    three times slower than one."""
    return threadpool_limits(limits=int(os.environ.get("KIZUNA_ML_THREADS", "1")),
                             user_api="openmp")


class NotEnoughHistoryError(RuntimeError):
    """The warehouse does not hold enough labelled cutoffs to train and evaluate."""


@dataclass
class Outcome:
    """One trained version: its metrics and whether it became champion."""

    model_name: str
    version: str
    is_champion: bool
    decision: str
    metrics: dict[str, dict[str, float]]
    seconds: float
    primary_metric: str = "roc_auc"


@dataclass
class TrainingData:
    features: pd.DataFrame
    products: pd.DataFrame
    cutoffs: pd.DataFrame
    opportunities: pd.DataFrame
    good_customers: set[str]
    evaluation_cutoffs: list[pd.Timestamp]
    training_cutoffs: list[pd.Timestamp]
    labelled_cutoffs: list[pd.Timestamp]
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def evaluation_cutoff(self) -> pd.Timestamp:
        """The latest evaluation cutoff."""
        return max(self.evaluation_cutoffs)


# --- data ---------------------------------------------------------------------------

def load_cutoffs(wh: Warehouse) -> pd.DataFrame:
    frame = read_frame(wh, "SELECT * FROM intermediate.int_ml_cutoffs ORDER BY cutoff_date")
    for col in ("cutoff_date", "label_window_end"):
        frame[col] = pd.to_datetime(frame[col]).dt.normalize()
    return frame


def load_opportunities(wh: Warehouse) -> pd.DataFrame:
    frame = read_frame(wh, """
        SELECT opportunity_id, primary_account_id AS account_id, product_id, created_on,
               is_won, closed_on
        FROM marts.fct_opportunities WHERE primary_account_id IS NOT NULL""")
    frame["created_on"] = pd.to_datetime(frame["created_on"]).dt.normalize()
    frame["is_won"] = frame["is_won"].fillna(False).astype(bool)
    return frame


def load_good_customers(wh: Warehouse) -> set[str]:
    rows = wh.query("SELECT account_id FROM marts.kpi_customer_value WHERE is_good_customer")
    return {r[0] for r in rows}


def load_context(wh: Warehouse) -> dict[str, Any]:
    """Names the reasons and the marts show: accounts, industries, products."""
    accounts = dict(wh.query("SELECT account_id, account_name FROM marts.dim_accounts"))
    industries = dict(wh.query("SELECT industry_division, division_name FROM seeds.jsic_divisions"))
    products = dict(wh.query("SELECT product_id, product_name FROM staging.stg_crm__products"))
    return {"account_names": accounts, "industry_names": industries, "product_names": products}


def split_cutoffs(cutoffs: pd.DataFrame, evaluation_cutoffs: int = EVALUATION_CUTOFFS
                  ) -> tuple[list[pd.Timestamp], list[pd.Timestamp]]:
    """(evaluation cutoffs, training cutoffs) from int_ml_cutoffs' rows.

    The evaluation cutoffs are the latest labelled ones; the training cutoffs those whose
    label window ended by the first of them. Fewer evaluation cutoffs are taken when that
    leaves fewer than ``MIN_TRAINING_CUTOFFS`` to train on; raises
    :class:`NotEnoughHistoryError` when even one is too many.
    """
    labelled = sorted(cutoffs.loc[cutoffs["is_label_complete"], "cutoff_date"])
    window = int(get_var("ml_label_window_days"))
    history = int(get_var("ml_min_history_days"))
    needed = history + 30 * (MIN_TRAINING_CUTOFFS - 1) + 2 * window
    held = _history_text(cutoffs)
    if not labelled:
        raise NotEnoughHistoryError(
            f"not enough history to train: no cutoff's {window}-day label window has ended "
            f"yet ({held}). Training needs about {needed} days of marketing history: "
            f"{MIN_TRAINING_CUTOFFS} cutoffs to learn from, whose labels were known before "
            "a later cutoff to be evaluated on, whose label is known too. Load more history "
            "and rebuild (kizuna_transform).")
    for n in range(min(evaluation_cutoffs, len(labelled)), 0, -1):
        evaluation = labelled[-n:]
        training = sorted(cutoffs.loc[cutoffs["label_window_end"] <= evaluation[0],
                                      "cutoff_date"])
        if len(training) >= MIN_TRAINING_CUTOFFS:
            return evaluation, training
    raise NotEnoughHistoryError(
        f"not enough history to train: {len(labelled)} cutoff(s) have known labels "
        f"({held}), but none has {MIN_TRAINING_CUTOFFS} earlier cutoffs whose {window}-day "
        f"labels were known by then. Training needs about {needed} days of marketing "
        "history: cutoffs to learn from, and a later one to be evaluated on. Load more "
        "history and rebuild (kizuna_transform).")


def _history_text(cutoffs: pd.DataFrame) -> str:
    if cutoffs.empty:
        return "the warehouse has no ML cutoff: no marketing activity yet?"
    first, last = cutoffs["cutoff_date"].min().date(), cutoffs["cutoff_date"].max().date()
    return (f"the warehouse's ML cutoffs run {first}..{last}, from ml_min_history_days "
            "after the first marketing activity to the data date")


def get_var(name: str) -> object:
    """A dbt var of the project (dbt_project.yml), for messages and windows."""
    return _project_vars()[name]


@functools.cache
def _project_vars() -> dict[str, object]:
    doc = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return doc.get("vars", {})


def load_training_data(wh: Warehouse) -> TrainingData:
    cutoffs = load_cutoffs(wh)
    evaluation, training = split_cutoffs(cutoffs)
    return TrainingData(
        features=load_account_features(wh),
        products=load_product_features(wh),
        cutoffs=cutoffs,
        opportunities=load_opportunities(wh),
        good_customers=load_good_customers(wh),
        evaluation_cutoffs=evaluation,
        training_cutoffs=training,
        labelled_cutoffs=sorted(cutoffs.loc[cutoffs["is_label_complete"], "cutoff_date"]),
        context=load_context(wh),
    )


def _cutoffs_text(cutoffs: list[pd.Timestamp]) -> str:
    if len(cutoffs) == 1:
        return f"{cutoffs[0].date()} (1 cutoff)"
    return f"{min(cutoffs).date()}..{max(cutoffs).date()} ({len(cutoffs)} cutoffs)"


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["cutoff_date", "account_id"], kind="stable").reset_index(drop=True)


# --- training -----------------------------------------------------------------------

def train_all(settings: Settings | None = None, registry: Registry | None = None
              ) -> list[Outcome]:
    """Train every model on the warehouse's data; returns one outcome per model."""
    s = settings or get_settings()
    registry = registry or Registry()
    with connection(s) as wh, ml_threads():
        data = load_training_data(wh)
        log.info("evaluation cutoffs %s; training cutoffs %s",
                 _cutoffs_text(data.evaluation_cutoffs), _cutoffs_text(data.training_cutoffs))
        return [train_model(data, name, registry, wh)
                for name in (*PROPENSITY_MODELS, LOOKALIKE, CROSS_SELL)]


def train_model(data: TrainingData, model_name: str, registry: Registry,
                wh: Warehouse) -> Outcome:
    """Train, evaluate and register one model (opportunity_90d, won_90d, lookalike or
    cross_sell) on data already loaded."""
    if model_name in PROPENSITY_MODELS:
        return train_propensity(data, model_name, registry, wh)
    if model_name == LOOKALIKE:
        return train_lookalike(data, registry, wh)
    if model_name == CROSS_SELL:
        return train_cross_sell(data, registry, wh)
    raise ValueError(f"unknown model {model_name!r}: one of "
                     f"{', '.join((*PROPENSITY_MODELS, LOOKALIKE, CROSS_SELL))}")


def _champion_value(registry: Registry, model_name: str, evaluate) -> tuple[
        ModelVersion | None, float | None, str]:
    """The champion and its primary metric on the challenger's evaluation rows."""
    champion = registry.champion(model_name)
    if champion is None:
        return None, None, "first version"
    try:
        return champion, float(evaluate(champion.load())), ""
    except FeatureMismatchError as exc:
        log.warning("champion %s cannot be evaluated: %s", champion.version, exc)
        return champion, None, "the champion's features no longer match the data"


def _register(registry: Registry, wh: Warehouse, model_name: str, artifact: dict[str, Any],
              meta: dict[str, Any], evaluation: pd.DataFrame | None, evaluate,
              started: float) -> Outcome:
    champion, champion_value, reason = _champion_value(registry, model_name, evaluate)
    version = registry.save(model_name, artifact, meta, evaluation)
    promote, decision = decide(meta["primary_value"], champion_value, meta["primary_metric"],
                               champion, reason or "first version")
    if promote:
        registry.set_champion(version, decision)
    record(wh, version, promote, decision)
    return Outcome(model_name, version.version, promote, decision, meta["metrics"],
                   time.monotonic() - started, meta["primary_metric"])


def train_propensity(data: TrainingData, model_name: str, registry: Registry,
                     wh: Warehouse) -> Outcome:
    """Calibrated gradient boosting for one label, against the two baselines."""
    started = time.monotonic()
    label = LABELS[model_name]
    features = data.features
    spec = account_spec(features)
    labelled = features[features[label].notna()]
    train = _sorted(labelled[labelled["cutoff_date"].isin(data.training_cutoffs)])
    test = _sorted(labelled[labelled["cutoff_date"].isin(data.evaluation_cutoffs)])
    y, y_test = train[label].astype(int).to_numpy(), test[label].astype(int).to_numpy()
    _require_both_classes(model_name, y, "training", data.training_cutoffs)
    _require_both_classes(model_name, y_test, "evaluation", data.evaluation_cutoffs)
    X, X_test = spec.frame(train), spec.frame(test)

    model = propensity.make_gradient_boosting(spec, RANDOM_STATE).fit(X, y)
    logistic = propensity.make_logistic_regression(spec).fit(X, y)
    rule = propensity.EngagementScoreBaseline().fit(X, y)
    p_model = model.predict_proba(X_test)[:, 1]
    p_logistic = logistic.predict_proba(X_test)[:, 1]
    evaluation = test[["account_id", "cutoff_date"]].assign(
        label=y_test, model=p_model, logistic_regression=p_logistic,
        engagement_score=rule.decision_function(X_test),
        engagement_score_probability=rule.predict_proba(X_test)[:, 1])
    metrics = metric_table(y_test, {
        "model": (p_model, p_model),
        "logistic_regression": (p_logistic, p_logistic),
        "engagement_score": (evaluation["engagement_score"].to_numpy(),
                             evaluation["engagement_score_probability"].to_numpy()),
    })

    # the version that scores: the same recipe on every cutoff whose labels are known
    everything = _sorted(labelled)
    scorer = propensity.make_gradient_boosting(spec, RANDOM_STATE).fit(
        spec.frame(everything), everything[label].astype(int).to_numpy())
    meta = {
        "estimator": "HistGradientBoostingClassifier (target-encoded industries) calibrated "
                     "by CalibratedClassifierCV (sigmoid, 3 blocks of cutoffs)",
        "label": label,
        "features": spec.to_dict(),
        "evaluation_cutoff": str(data.evaluation_cutoff.date()),
        "evaluation_cutoffs": [str(c.date()) for c in data.evaluation_cutoffs],
        "evaluation_cutoffs_text": _cutoffs_text(data.evaluation_cutoffs),
        "training_cutoffs": [str(c.date()) for c in data.training_cutoffs],
        "training_cutoffs_text": _cutoffs_text(data.training_cutoffs),
        "scoring_cutoffs_text": _cutoffs_text(data.labelled_cutoffs),
        "training_rows": len(train), "evaluation_rows": len(test),
        "roc_auc_by_cutoff": _auc_by_cutoff(evaluation, ["model", "logistic_regression",
                                                         "engagement_score"]),
        "data_fingerprint": data_fingerprint(labelled, [
            "account_id", "cutoff_date", label, *spec.columns]),
        "metrics": _jsonable(metrics),
        "primary_metric": "roc_auc",
        "primary_value": float(metrics.loc["model", "roc_auc"]),
        "params": propensity.GBM_PARAMS,
    }
    artifact = {"spec": spec.to_dict(), "model": scorer, "evaluation_model": model,
                "logistic_regression": logistic, "engagement_baseline": rule}

    def evaluate(champion: dict[str, Any]) -> float:
        champion_spec = FeatureSpec.from_dict(champion["spec"])
        p = champion["evaluation_model"].predict_proba(champion_spec.frame(test))[:, 1]
        return binary_metrics(y_test, p)["roc_auc"]

    outcome = _register(registry, wh, model_name, artifact, meta, evaluation, evaluate, started)
    log.info("%s: ROC AUC %.3f (logistic %.3f, engagement score %.3f) in %.0fs", model_name,
             metrics.loc["model", "roc_auc"], metrics.loc["logistic_regression", "roc_auc"],
             metrics.loc["engagement_score", "roc_auc"], outcome.seconds)
    return outcome


def _require_both_classes(model_name: str, y: np.ndarray, what: str,
                          cutoffs: list[pd.Timestamp]) -> None:
    if len(np.unique(y)) < 2:
        raise NotEnoughHistoryError(
            f"{model_name}: the {what} cutoffs {_cutoffs_text(cutoffs)} hold "
            f"{int(y.sum())} positive(s) in {len(y)} rows; a model needs both outcomes. "
            "Load more history (more accounts or months) and rebuild.")


def _auc_by_cutoff(rows: pd.DataFrame, scorers: list[str]) -> dict[str, dict[str, float]]:
    """ROC AUC of each scorer on each evaluation cutoff alone (None with one class)."""
    out: dict[str, dict[str, float]] = {}
    for cutoff, part in rows.groupby("cutoff_date"):
        y = part["label"].to_numpy()
        out[str(pd.Timestamp(cutoff).date())] = {
            scorer: (float(binary_metrics(y, part[scorer].to_numpy())["roc_auc"])
                     if 0 < y.sum() < len(y) else None) for scorer in scorers}
    return out


def train_lookalike(data: TrainingData, registry: Registry, wh: Warehouse) -> Outcome:
    """Elkan-Noto positive-unlabelled model of the good customers, on the scoring date."""
    started = time.monotonic()
    rows = data.features[data.features["is_scoring_date"]].reset_index(drop=True)
    spec = lookalike.lookalike_spec(account_spec(data.features))
    s = rows["account_id"].isin(data.good_customers).to_numpy().astype(int)
    holdout = lookalike.holdout_mask(rows["account_id"]) & (s == 1)
    X = spec.frame(rows)
    model = lookalike.make_lookalike(spec, RANDOM_STATE).fit(X, s, holdout=holdout)
    # evaluation: the held-out good customers among the unlabelled accounts
    scope = (s == 0) | holdout
    y_eval = holdout[scope].astype(int)
    # rank by g(x): P(positive | x) = g(x) / c is clipped at 1, which would tie the top
    p_eval = model.labelled_proba(X[scope])
    size = rows.loc[scope, "employees"].fillna(0).to_numpy()
    metrics = metric_table(y_eval, {"model": (p_eval, None), "firmographic_size": (size, None)})
    metrics = metrics.drop(columns=["brier"])
    evaluation = rows.loc[scope, ["account_id", "cutoff_date"]].assign(
        label=y_eval, model=p_eval, firmographic_size=size)
    meta = {
        "estimator": "Elkan-Noto positive-unlabelled classifier over a logistic regression; "
                     "nearest good customers in its weighted feature space",
        "label": "is_good_customer (kpi_customer_value, seed customer_segments)",
        "features": spec.to_dict(),
        "evaluation_cutoff": str(rows["cutoff_date"].max().date()),
        "evaluation_cutoffs_text": f"{rows['cutoff_date'].max().date()} (held-out good customers)",
        "training_cutoffs": [str(rows["cutoff_date"].max().date())],
        "training_cutoffs_text": f"{rows['cutoff_date'].max().date()} (the scoring date)",
        "positives": int(s.sum()), "holdout_positives": int(holdout.sum()),
        "label_frequency_c": model.c_,
        "data_fingerprint": data_fingerprint(X.assign(account_id=rows["account_id"], s=s),
                                             ["account_id", "s", *spec.columns]),
        "metrics": _jsonable(metrics),
        "primary_metric": "roc_auc",
        "primary_value": float(metrics.loc["model", "roc_auc"]),
    }
    good = rows[s == 1]
    neighbours = lookalike.GoodCustomerNeighbours(model).fit(spec.frame(good), good["account_id"])
    artifact = {"spec": spec.to_dict(), "model": model, "evaluation_model": model,
                "neighbours": neighbours}

    def evaluate(champion: dict[str, Any]) -> float:
        champion_spec = FeatureSpec.from_dict(champion["spec"])
        p = champion["evaluation_model"].labelled_proba(champion_spec.frame(rows[scope]))
        return binary_metrics(y_eval, p)["roc_auc"]

    outcome = _register(registry, wh, LOOKALIKE, artifact, meta, evaluation, evaluate, started)
    log.info("lookalike: held-out good customers ROC AUC %.3f (size %.3f), c = %.2f",
             metrics.loc["model", "roc_auc"], metrics.loc["firmographic_size", "roc_auc"],
             model.c_)
    return outcome


def cross_sell_split(data: TrainingData, months: int = 6, min_cutoffs: int = 3
                     ) -> tuple[pd.Timestamp, list[pd.Timestamp]]:
    """The cross-sell evaluation cutoff and its training cutoffs.

    Purchases are rarer than opportunities, so the held-out purchases are those after a
    cutoff ``months`` before the propensity evaluation cutoff (or the first cutoff by
    which ``min_cutoffs`` label windows have ended, when history is shorter)."""
    cutoffs = data.cutoffs
    ends = sorted(cutoffs["label_window_end"])
    earliest = ends[min_cutoffs - 1] if len(ends) >= min_cutoffs else data.evaluation_cutoff
    floor = max(data.evaluation_cutoff - pd.DateOffset(months=months), earliest)
    later = cutoffs[(cutoffs["cutoff_date"] >= floor)
                    & (cutoffs["cutoff_date"] <= data.evaluation_cutoff)]["cutoff_date"]
    split = later.min() if len(later) else data.evaluation_cutoff
    training = cutoffs[cutoffs["label_window_end"] <= split]["cutoff_date"].tolist()
    return split, training


def train_cross_sell(data: TrainingData, registry: Registry, wh: Warehouse) -> Outcome:
    """The account x product model, evaluated on each account's latest purchase."""
    started = time.monotonic()
    rows = cross_sell.candidate_rows(data.products, data.features)
    labelled = rows[rows[cross_sell.LABEL].notna()]
    split, training_cutoffs = cross_sell_split(data)
    train = _sorted(labelled[labelled["cutoff_date"].isin(training_cutoffs)])
    spec = cross_sell.SPEC
    model = cross_sell.make_cross_sell_model(RANDOM_STATE).fit(
        spec.frame(train), train[cross_sell.LABEL].astype(int).to_numpy())
    purchases = cross_sell.latest_purchases(data.opportunities, split,
                                            data.cutoffs["cutoff_date"])
    held = rows.merge(purchases[["account_id", "state_cutoff"]].rename(
        columns={"state_cutoff": "cutoff_date"}), on=["account_id", "cutoff_date"])
    popular = cross_sell.popularity(data.opportunities, split)
    held = held.assign(model=model.predict_proba(spec.frame(held))[:, 1],
                       popularity=held["product_id"].map(popular).fillna(0.0))
    metrics = pd.DataFrame.from_dict({
        "model": cross_sell.hit_rates(held, purchases, "model"),
        "popularity": cross_sell.hit_rates(held, purchases, "popularity"),
    }, orient="index")
    everything = _sorted(labelled)
    scorer = cross_sell.make_cross_sell_model(RANDOM_STATE).fit(
        spec.frame(everything), everything[cross_sell.LABEL].astype(int).to_numpy())
    meta = {
        "estimator": "HistGradientBoostingClassifier on account x product rows (products "
                     "one-hot, industries target-encoded)",
        "label": "a deal for the product created in the label window",
        "features": spec.to_dict(),
        "evaluation_cutoff": str(split.date()),
        "evaluation_cutoffs_text": f"latest purchases created after {split.date()}",
        "training_cutoffs": [str(c.date()) for c in training_cutoffs],
        "training_cutoffs_text": _cutoffs_text(training_cutoffs),
        "training_rows": len(train), "held_out_purchases": len(purchases),
        "data_fingerprint": data_fingerprint(labelled, [
            "account_id", "cutoff_date", "product_id", cross_sell.LABEL, *spec.columns]),
        "metrics": _jsonable(metrics),
        "primary_metric": "hit_rate_at_1",
        "primary_value": float(metrics.loc["model", "hit_rate_at_1"]),
        "params": cross_sell.GBM_PARAMS,
    }
    artifact = {"spec": spec.to_dict(), "model": scorer, "evaluation_model": model,
                "popularity": popular}
    evaluation = held[["account_id", "cutoff_date", "product_id", "model", "popularity"]].merge(
        purchases[["account_id", "product_id"]].assign(label=1),
        on=["account_id", "product_id"], how="left").fillna({"label": 0})

    def evaluate(champion: dict[str, Any]) -> float:
        champion_spec = FeatureSpec.from_dict(champion["spec"])
        scored = held.assign(champion=champion["evaluation_model"].predict_proba(
            champion_spec.frame(held))[:, 1])
        return cross_sell.hit_rates(scored, purchases, "champion")["hit_rate_at_1"]

    outcome = _register(registry, wh, CROSS_SELL, artifact, meta, evaluation, evaluate, started)
    log.info("cross-sell: hit@1 %.3f hit@3 %.3f (popularity %.3f / %.3f) on %d purchases",
             metrics.loc["model", "hit_rate_at_1"], metrics.loc["model", "hit_rate_at_3"],
             metrics.loc["popularity", "hit_rate_at_1"],
             metrics.loc["popularity", "hit_rate_at_3"], len(purchases))
    return outcome


def _jsonable(metrics: pd.DataFrame) -> dict[str, dict[str, float]]:
    return {scorer: {k: (None if pd.isna(v) else float(v)) for k, v in row.items()}
            for scorer, row in metrics.iterrows()}


# --- scoring ------------------------------------------------------------------------

def percentile(values: np.ndarray) -> np.ndarray:
    """0-100: the share of values at or below each one."""
    return pd.Series(values).rank(pct=True, method="max").to_numpy() * 100


def score_all(settings: Settings | None = None, registry: Registry | None = None
              ) -> dict[str, int]:
    """Score the scoring date with every champion and write the ``ml`` tables."""
    s = settings or get_settings()
    registry = registry or Registry()
    with connection(s) as wh, ml_threads():
        features = load_account_features(wh, scoring_only=True)
        if features.empty:
            raise NotEnoughHistoryError(
                "marts.mart_account_features has no row for the scoring date: build the "
                "marts first (kizuna_transform)")
        products = load_product_features(wh, scoring_only=True)
        context = load_context(wh)
        good = load_good_customers(wh)
        scored_on = features["cutoff_date"].max().date()
        scored_at = datetime.now(UTC).replace(tzinfo=None)
        counts = {
            "account_propensity": replace_rows(
                wh, "account_propensity",
                score_propensity(features, registry, context).assign(scored_at=scored_at),
                {"scored_on": scored_on}),
            "lookalike_scores": replace_rows(
                wh, "lookalike_scores",
                score_lookalike(features, good, registry, context).assign(scored_at=scored_at),
                {"scored_on": scored_on}),
            "cross_sell_scores": replace_rows(
                wh, "cross_sell_scores",
                score_cross_sell(products, features, registry, context).assign(
                    scored_at=scored_at),
                {"scored_on": scored_on}),
        }
    log.info("scored %s: %s", scored_on, counts)
    return counts


def _inputs(artifact: dict[str, Any], rows: pd.DataFrame, version: ModelVersion,
            source: str) -> pd.DataFrame:
    """The champion's inputs from ``rows``; raises FeatureMismatchError naming the model
    version and the table when the columns are not those it was trained on."""
    on = rows["cutoff_date"].max().date() if len(rows) else "?"
    return FeatureSpec.from_dict(artifact["spec"]).frame(
        rows, f"{source} (scoring date {on}) for {version.version}")


def _display(rows: pd.DataFrame, context: dict[str, Any]) -> pd.DataFrame:
    """The values reason templates name: the features plus readable names."""
    out = rows.copy()
    if "industry_division" in out:
        # an unknown industry ('?') has no name: its reasons are left out
        out["industry_name"] = out["industry_division"].map(context["industry_names"])
    if "product_id" in out:
        out["product_name"] = out["product_id"].map(context["product_names"]).fillna(
            out["product_id"])
    return out


def score_propensity(features: pd.DataFrame, registry: Registry,
                     context: dict[str, Any]) -> pd.DataFrame:
    rows = features.reset_index(drop=True)
    champions = {name: registry.require_champion(name) for name in PROPENSITY_MODELS}
    artifacts = {name: champions[name].load() for name in PROPENSITY_MODELS}
    p = {name: artifact["model"].predict_proba(
            _inputs(artifact, rows, champions[name], "marts.mart_account_features"))[:, 1]
         for name, artifact in artifacts.items()}
    main = artifacts["opportunity_90d"]
    spec = FeatureSpec.from_dict(main["spec"])
    X = _inputs(main, rows, champions["opportunity_90d"], "marts.mart_account_features")
    groups = reasons.usable_groups(reasons.load_templates("propensity"), spec.columns)
    deltas = reasons.contributions(lambda frame: main["model"].predict_proba(frame)[:, 1],
                                   X, groups)
    words = reasons.top_reasons(deltas, groups, _display(rows, context))
    order = pd.Series(-p["opportunity_90d"]).rank(method="first").astype(int).to_numpy()
    return pd.DataFrame({
        "account_id": rows["account_id"],
        "scored_on": rows["cutoff_date"].dt.date,
        "p_opportunity_90d": p["opportunity_90d"],
        "p_won_90d": p["won_90d"],
        "propensity_score": np.round(percentile(p["opportunity_90d"]), 1),
        "propensity_rank": order,
        "propensity_decile": np.minimum(10, (order - 1) * 10 // len(rows) + 1),
        "reason_1": [w[0] for w in words],
        "reason_2": [w[1] for w in words],
        "reason_3": [w[2] for w in words],
        "model_version": champions["opportunity_90d"].version,
        "win_model_version": champions["won_90d"].version,
    })


def score_lookalike(features: pd.DataFrame, good: set[str], registry: Registry,
                    context: dict[str, Any]) -> pd.DataFrame:
    champion = registry.require_champion(LOOKALIKE)
    artifact = champion.load()
    spec = FeatureSpec.from_dict(artifact["spec"])
    rows = features[~features["account_id"].isin(good)].reset_index(drop=True)
    X = _inputs(artifact, rows, champion, "marts.mart_account_features")
    model = artifact["model"]
    g = model.labelled_proba(X)
    p = model.predict_proba(X)[:, 1]
    ids, _ = artifact["neighbours"].kneighbors(X)
    names = context["account_names"]
    groups = reasons.usable_groups(reasons.load_templates("lookalike"), spec.columns)
    deltas = reasons.contributions(lambda frame: model.predict_proba(frame)[:, 1], X, groups)
    words = reasons.top_reasons(deltas, groups, _display(rows, context), k=2)
    similar = [[ids[i, j] if j < ids.shape[1] else None for j in range(3)]
               for i in range(len(rows))]
    return pd.DataFrame({
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


def score_cross_sell(products: pd.DataFrame, features: pd.DataFrame, registry: Registry,
                     context: dict[str, Any]) -> pd.DataFrame:
    champion = registry.require_champion(CROSS_SELL)
    artifact = champion.load()
    spec = FeatureSpec.from_dict(artifact["spec"])
    model = artifact["model"]
    candidates = cross_sell.candidate_rows(products, features).reset_index(drop=True)
    X = _inputs(artifact, candidates, champion,
                "marts.mart_account_product_features with mart_account_features")
    p = model.predict_proba(X)[:, 1]
    groups = reasons.usable_groups(reasons.load_templates("cross_sell"), spec.columns)
    deltas = reasons.contributions(lambda frame: model.predict_proba(frame)[:, 1], X, groups)
    words = reasons.top_reasons(deltas, groups, _display(candidates, context), k=1)
    scored = candidates[["account_id", "product_id", "cutoff_date", "open_opportunities"]].assign(
        p_opportunity_90d=p, cross_sell_score=np.round(percentile(p), 1),
        reason=[w[0] for w in words])
    scored["product_rank"] = scored.groupby("account_id")["p_opportunity_90d"].rank(
        ascending=False, method="first").astype(int)
    held = products[(products["is_owned"] > 0) | (products["is_included"] > 0)][
        ["account_id", "product_id", "cutoff_date", "open_opportunities", "is_owned"]]
    held = held.assign(is_owned=held["is_owned"] > 0)
    out = pd.concat([scored.assign(is_owned=False), held], ignore_index=True)
    out["is_owned"] = out["is_owned"].astype(bool)
    out["is_included"] = out["cross_sell_score"].isna() & ~out["is_owned"]
    reason = out["reason"].where(~out["is_owned"], "owned")
    return pd.DataFrame({
        "account_id": out["account_id"],
        "product_id": out["product_id"],
        "scored_on": out["cutoff_date"].dt.date,
        "is_owned": out["is_owned"],
        "is_included": out["is_included"],
        "has_open_opportunity": out["open_opportunities"].fillna(0) > 0,
        "cross_sell_score": out["cross_sell_score"],
        "p_opportunity_90d": out["p_opportunity_90d"],
        "product_rank": out["product_rank"].astype("Int64"),
        "reason": reason.where(~out["is_included"], "included in a product it owns"),
        "model_version": champion.version,
    })
