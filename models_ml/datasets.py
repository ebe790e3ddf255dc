"""What training and scoring read from the warehouse besides the features: the cutoffs
and how they split into training and evaluation, the opportunities, the good customers
and the names the reasons and the marts show.

*Evaluation cutoffs*: the latest ``EVALUATION_CUTOFFS`` (3) cutoffs whose label windows
have ended by the data date, pooled (one cutoff holds too few new opportunities for a
steady AUC). *Training cutoffs*: those whose label window ended by the first evaluation
cutoff (their labels were known then), so nothing about the evaluation cutoffs' future is
used to predict them. With a short history there are fewer evaluation cutoffs, down to
one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import yaml

from kizuna.settings import DBT_PROJECT_DIR
from kizuna.warehouse import Warehouse
from models_ml.features import (
    load_account_features,
    load_lead_features,
    load_product_features,
)
from models_ml.store import read_frame, relation_exists

#: Later cutoffs the propensity models are evaluated on, pooled (fewer when history is short).
EVALUATION_CUTOFFS = 3
#: Fewest historic cutoffs a model is trained on.
MIN_TRAINING_CUTOFFS = 2


class NotTrainableError(RuntimeError):
    """The data does not support a model (no rows, too few of one outcome, no usable
    feature, too short a history): it is not trained, and the message says why."""


class NotEnoughHistoryError(NotTrainableError):
    """The warehouse does not hold enough labelled cutoffs to train and evaluate."""


class NoScoringDateError(NotEnoughHistoryError):
    """The marts hold no scoring date (a fresh install, or the marts not built yet): there
    is nothing to score."""


@dataclass(frozen=True)
class Names:
    """Readable names, by id: what the reasons and the marts show."""

    accounts: dict[str, str]
    industries: dict[str, str]
    products: dict[str, str]


@dataclass(frozen=True)
class TrainingData:
    """Everything the models learn from, read once for every model."""

    features: pd.DataFrame
    products: pd.DataFrame
    cutoffs: pd.DataFrame
    opportunities: pd.DataFrame
    good_customers: set[str]
    evaluation_cutoffs: list[pd.Timestamp]
    training_cutoffs: list[pd.Timestamp]
    labelled_cutoffs: list[pd.Timestamp]
    names: Names
    #: Why the cutoffs cannot train and evaluate a model (None: they can). The models
    #: that learn from past cutoffs need them; the lookalike learns from today's accounts.
    history_problem: str | None = None
    #: Every MA lead at every cutoff (int_ml_lead_features; empty before it is built).
    leads: pd.DataFrame = field(default_factory=pd.DataFrame)

    def require_history(self) -> None:
        """Raise :class:`NotEnoughHistoryError` when the cutoffs cannot train a model that
        learns from past cutoffs."""
        if self.history_problem is not None:
            raise NotEnoughHistoryError(self.history_problem)

    @property
    def evaluation_cutoff(self) -> pd.Timestamp:
        """The latest evaluation cutoff."""
        return max(self.evaluation_cutoffs)

    def split_by_cutoff(self, labelled: pd.DataFrame
                        ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Labelled rows at the training cutoffs, at the evaluation cutoffs, and at every
        cutoff, each in cutoff order (the calibration folds are blocks of cutoffs)."""
        at = labelled["cutoff_date"]
        return (by_cutoff(labelled[at.isin(self.training_cutoffs)]),
                by_cutoff(labelled[at.isin(self.evaluation_cutoffs)]),
                by_cutoff(labelled))

    def cutoff_fields(self, training_rows: int, evaluation_rows: int) -> dict[str, Any]:
        """The fields of a cutoff-trained model's ``Problem`` that say which cutoffs it
        learnt from and was evaluated on (the model card prints them)."""
        return {
            "evaluation_cutoff": self.evaluation_cutoff,
            "evaluation_cutoffs_text": cutoffs_text(self.evaluation_cutoffs),
            "training_cutoffs": self.training_cutoffs,
            "training_cutoffs_text": cutoffs_text(self.training_cutoffs),
            "details": {"evaluation_cutoffs": [str(c.date()) for c in self.evaluation_cutoffs],
                        "scoring_cutoffs_text": cutoffs_text(self.labelled_cutoffs),
                        "training_rows": training_rows, "evaluation_rows": evaluation_rows},
        }


@dataclass(frozen=True)
class ScoringData:
    """The scoring date's rows, which every champion scores."""

    features: pd.DataFrame
    products: pd.DataFrame
    good_customers: set[str]
    names: Names
    #: Every MA lead on the scoring date (int_ml_lead_features; empty before it is built).
    leads: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def scored_on(self) -> date:
        return self.features["cutoff_date"].max().date()


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


def load_names(wh: Warehouse) -> Names:
    return Names(
        accounts=dict(wh.query("SELECT account_id, account_name FROM marts.dim_accounts")),
        industries=dict(wh.query(
            "SELECT industry_division, division_name FROM seeds.jsic_divisions")),
        products=dict(wh.query("SELECT product_id, product_name FROM staging.stg_crm__products")),
    )


def load_training_data(wh: Warehouse) -> TrainingData:
    """What every model learns from; on too short a history, without training and
    evaluation cutoffs and with the reason (:attr:`TrainingData.history_problem`)."""
    cutoffs = load_cutoffs(wh)
    problem = None
    try:
        evaluation, training = split_cutoffs(cutoffs)
    except NotEnoughHistoryError as exc:
        evaluation, training, problem = [], [], str(exc)
    return TrainingData(
        features=load_account_features(wh),
        products=load_product_features(wh),
        cutoffs=cutoffs,
        opportunities=load_opportunities(wh),
        good_customers=load_good_customers(wh),
        evaluation_cutoffs=evaluation,
        training_cutoffs=training,
        labelled_cutoffs=sorted(cutoffs.loc[cutoffs["is_label_complete"], "cutoff_date"]),
        names=load_names(wh),
        history_problem=problem,
        leads=_lead_features(wh),
    )


def load_scoring_data(wh: Warehouse) -> ScoringData:
    """The scoring date's features; raises :class:`NoScoringDateError` when the marts have
    none (not built yet, or built from no data)."""
    if not relation_exists(wh, "marts", "mart_account_features"):
        raise NoScoringDateError(
            "nothing to score: marts.mart_account_features does not exist yet; build the "
            "marts first (kizuna_transform)")
    features = load_account_features(wh, scoring_only=True)
    if features.empty:
        raise NoScoringDateError(
            "nothing to score: marts.mart_account_features has no row for the scoring "
            "date (no account has activity yet?); load data and build the marts first "
            "(kizuna_transform)")
    return ScoringData(
        features=features,
        products=load_product_features(wh, scoring_only=True),
        names=load_names(wh),
        good_customers=load_good_customers(wh),
        leads=_lead_features(wh, scoring_only=True),
    )


def _lead_features(wh: Warehouse, scoring_only: bool = False) -> pd.DataFrame:
    """int_ml_lead_features' rows; empty on a warehouse built before it existed."""
    if not relation_exists(wh, "intermediate", "int_ml_lead_features"):
        return pd.DataFrame()
    return load_lead_features(wh, scoring_only)


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


def cutoffs_text(cutoffs: list[pd.Timestamp]) -> str:
    """``2026-01-01..2026-03-01 (3 cutoffs)``, or the one cutoff."""
    if not cutoffs:
        return "no cutoff"
    if len(cutoffs) == 1:
        return f"{cutoffs[0].date()} (1 cutoff)"
    return f"{min(cutoffs).date()}..{max(cutoffs).date()} ({len(cutoffs)} cutoffs)"


def by_cutoff(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows in cutoff order, then account (a stable order the calibration folds need)."""
    return frame.sort_values(["cutoff_date", "account_key"], kind="stable").reset_index(drop=True)


def get_var(name: str) -> Any:
    """A dbt var of the project (dbt_project.yml), for messages and windows."""
    return _project_vars()[name]


@functools.cache
def _project_vars() -> dict[str, Any]:
    doc = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return doc.get("vars", {})
