"""The point-in-time features the models read, and the contract between model and data.

Features are computed in dbt (``marts.mart_account_features``: one row per account per
cutoff, read only from what was known by the end of the cutoff day, labels looking
forward; ``marts.mart_account_product_features``: the same per account, cutoff and
product). This module loads them into pandas with stable dtypes and describes a model's
inputs as a :class:`FeatureSpec`, which every artifact stores and scoring checks: a model
never scores data whose columns or kinds differ from what it was trained on.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from kizuna.warehouse import Warehouse
from models_ml.store import read_frame

#: The gradient-boosting models calibrate on this many contiguous folds of their training
#: rows (sklearn's KFold without shuffling); each fold's model learns from the others.
CALIBRATION_FOLDS = 3

#: Columns of mart_account_features that are keys, flags or labels, never inputs.
#: account_key is the ABM account (the company, customer or prospect); account_id its
#: primary CRM account when it had one at the cutoff (null for a prospect).
ACCOUNT_KEYS = ("account_cutoff_key", "account_key", "account_id", "key_source", "cutoff_date",
                "is_scoring_date", "is_label_complete")
#: Targets: model name -> label column (1 / 0, null until the window has ended).
LABELS = {"opportunity_90d": "label_opportunity_90d", "won_90d": "label_won_90d"}
#: Text columns, encoded by the models.
CATEGORICAL = ("industry_division", "abm_tier")
#: The text a missing category is encoded as (:meth:`FeatureSpec.frame`).
UNKNOWN_CATEGORY = "?"

#: Columns of int_ml_lead_features that are keys, flags or the label, never inputs.
LEAD_KEYS = ("lead_cutoff_key", "lead_id", "account_key", "account_id",
             "cutoff_date", "is_scoring_date", "is_label_complete")
LEAD_LABEL = "label_opportunity_90d"
LEAD_CATEGORICAL = ("lead_source",)

PRODUCT_KEYS = ("account_cutoff_product_key", "account_id", "cutoff_date", "is_scoring_date",
                "is_label_complete", "product_id")
PRODUCT_CATEGORICAL = ("product_id", "product_family")


class FeatureMismatchError(ValueError):
    """The data's features are not those the model was trained on."""


@dataclass(frozen=True)
class FeatureSpec:
    """A model's inputs: numeric and categorical columns, in order."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...] = ()
    kinds: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    def to_dict(self) -> dict[str, object]:
        return {"numeric": list(self.numeric), "categorical": list(self.categorical)}

    @classmethod
    def from_dict(cls, doc: dict[str, list[str]]) -> FeatureSpec:
        return cls(tuple(doc["numeric"]), tuple(doc.get("categorical", ())))

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict()).encode()).hexdigest()[:12]

    def check(self, frame: pd.DataFrame, what: str = "the data") -> None:
        """Raise :class:`FeatureMismatchError` unless ``frame`` has every input, of its kind."""
        missing = [c for c in self.columns if c not in frame.columns]
        wrong = [c for c in self.numeric if c in frame.columns
                 and not pd.api.types.is_numeric_dtype(frame[c])]
        wrong += [c for c in self.categorical if c in frame.columns
                  and pd.api.types.is_numeric_dtype(frame[c])]
        if missing or wrong:
            raise FeatureMismatchError(
                f"{what} does not match the features the model was trained on: missing "
                f"columns {missing}, columns of another kind {wrong}. The features changed "
                "since it was trained (dbt models mart_account_features / "
                "mart_account_product_features): train a new version (kizuna ml train, or "
                "the kizuna_ml_train DAG) before scoring."
            )

    def without(self, columns: Iterable[str]) -> FeatureSpec:
        """The spec less ``columns`` (the order of the rest kept)."""
        drop = set(columns)
        return FeatureSpec(tuple(c for c in self.numeric if c not in drop),
                           tuple(c for c in self.categorical if c not in drop))

    def frame(self, data: pd.DataFrame, what: str = "the data") -> pd.DataFrame:
        """The model's inputs from ``data``, checked, numeric as float, text as str."""
        self.check(data, what)
        out = data[self.columns].copy()
        for c in self.numeric:
            out[c] = out[c].astype("float64")
        for c in self.categorical:
            out[c] = out[c].astype(object).where(out[c].notna(), UNKNOWN_CATEGORY).astype(str)
        return out


@dataclass(frozen=True)
class Screening:
    """What a model learns from: the usable features, and those set aside, with why."""

    spec: FeatureSpec
    #: Column -> why it was set aside ("all null on the 1,200 training rows").
    set_aside: dict[str, str]


def screen_features(spec: FeatureSpec, X: pd.DataFrame) -> Screening:
    """Set aside the inputs that cannot teach a model anything on its training rows ``X``
    (``spec``'s frame): those that are all null (a source the data lacks: no company
    database, no web tracking) and those that hold one value throughout (a constant:
    "listed" when no company is). Gradient boosting cannot bin a column with no value,
    and a constant only costs time; the model's metadata names both, with the reason."""
    rows = f"{len(X):,} training rows"
    set_aside: dict[str, str] = {}
    for col in spec.columns:
        values = X[col]
        if col in spec.categorical:
            values = values.where(values != UNKNOWN_CATEGORY)
        if values.isna().all():
            set_aside[col] = f"all null on the {rows}"
        elif values.nunique(dropna=False) == 1:
            set_aside[col] = f"constant ({_value_text(values.iloc[0])}) on the {rows}"
        elif (fold := _only_in_one_fold(values.notna().to_numpy())) is not None:
            # a calibration fold's model would learn it from nothing but nulls
            set_aside[col] = (f"null outside calibration fold {fold + 1} of "
                              f"{CALIBRATION_FOLDS} of the {rows}")
    return Screening(spec.without(set_aside), set_aside)


def _only_in_one_fold(known: np.ndarray) -> int | None:
    """The calibration fold holding every known value, when one does (else None)."""
    sizes = np.full(CALIBRATION_FOLDS, len(known) // CALIBRATION_FOLDS)  # as KFold cuts
    sizes[:len(known) % CALIBRATION_FOLDS] += 1
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    for fold, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        if not known[:lo].any() and not known[hi:].any():
            return fold
    return None


def set_aside_text(set_aside: dict[str, str]) -> str:
    """The features set aside, grouped by why: ``all null on the 1,068 training rows:
    employees, revenue_jpy; constant (0) on the 1,068 training rows: is_listed``."""
    by_reason: dict[str, list[str]] = {}
    for column, why in set_aside.items():
        by_reason.setdefault(why, []).append(column)
    return "; ".join(f"{why}: {', '.join(columns)}" for why, columns in by_reason.items())


def _value_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def account_spec(frame: pd.DataFrame, exclude: tuple[str, ...] = ()) -> FeatureSpec:
    """Every input column of mart_account_features (all but keys and labels)."""
    skip = {*ACCOUNT_KEYS, *LABELS.values(), *exclude}
    numeric = tuple(c for c in frame.columns if c not in skip and c not in CATEGORICAL)
    categorical = tuple(c for c in CATEGORICAL if c in frame.columns and c not in skip)
    return FeatureSpec(numeric, categorical)


def lead_spec(frame: pd.DataFrame) -> FeatureSpec:
    """Every input column of int_ml_lead_features (all but keys and the label)."""
    skip = {*LEAD_KEYS, LEAD_LABEL}
    numeric = tuple(c for c in frame.columns if c not in skip and c not in LEAD_CATEGORICAL)
    categorical = tuple(c for c in LEAD_CATEGORICAL if c in frame.columns)
    return FeatureSpec(numeric, categorical)


def load_lead_features(wh: Warehouse, scoring_only: bool = False) -> pd.DataFrame:
    """intermediate.int_ml_lead_features (all cutoffs, or the scoring date's rows only)."""
    where = " WHERE is_scoring_date" if scoring_only else ""
    frame = read_frame(wh, f"SELECT * FROM intermediate.int_ml_lead_features{where} "
                           "ORDER BY cutoff_date, lead_id")
    return _normalise(frame, (LEAD_LABEL,))


def load_account_features(wh: Warehouse, scoring_only: bool = False) -> pd.DataFrame:
    """marts.mart_account_features (all cutoffs, or the scoring date's rows only)."""
    where = " WHERE is_scoring_date" if scoring_only else ""
    frame = read_frame(wh, f"SELECT * FROM marts.mart_account_features{where} "
                           "ORDER BY cutoff_date, account_key")
    return _normalise(frame, LABELS.values())


def load_product_features(wh: Warehouse, scoring_only: bool = False) -> pd.DataFrame:
    """marts.mart_account_product_features (all cutoffs, or the scoring date's rows)."""
    where = " WHERE is_scoring_date" if scoring_only else ""
    frame = read_frame(wh, f"SELECT * FROM marts.mart_account_product_features{where} "
                           "ORDER BY cutoff_date, account_id, product_id")
    return _normalise(frame, ("label_opportunity_90d", "label_won_90d"))


def _normalise(frame: pd.DataFrame, labels) -> pd.DataFrame:
    frame = frame.copy()
    frame["cutoff_date"] = pd.to_datetime(frame["cutoff_date"]).dt.normalize()
    for col in frame.columns:
        if col in labels:
            frame[col] = pd.to_numeric(frame[col]).astype("Float64")
        elif frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
            frame[col] = frame[col].astype(object)
        elif pd.api.types.is_bool_dtype(frame[col]):
            frame[col] = frame[col].astype(bool)
        elif pd.api.types.is_numeric_dtype(frame[col]):
            frame[col] = pd.to_numeric(frame[col]).astype("float64")
    return frame


def data_fingerprint(frame: pd.DataFrame, columns: list[str]) -> str:
    """A short hash of the rows a model learns from (values, in a stable order)."""
    data = frame[columns].reset_index(drop=True)
    hashed = pd.util.hash_pandas_object(data, index=False).to_numpy()
    return hashlib.sha256(np.sort(hashed).tobytes()).hexdigest()[:12]


def spec_dict(spec: FeatureSpec) -> dict[str, object]:
    return asdict(spec)
