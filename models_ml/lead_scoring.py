"""The lead-scoring estimators and the calibration table their probabilities are read by.

A lead's probability of an opportunity at its account within the label window is only
useful for a hand-off if it can be read as it is: among the leads given 8 %, about 8 in
100 convert. Conversion moves with the season (fiscal years end in March), so the
probabilities are calibrated on folds that mix the seasons of the training cutoffs
(:func:`make_lead_gradient_boosting`) and measured on later cutoffs, by decile of
predicted probability (:func:`calibration_table`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from models_ml.features import FeatureSpec
from models_ml.propensity import GBM_PARAMS, make_logistic_regression

#: Folds the calibration is fitted on (each fold's model learns from the others).
CALIBRATION_FOLDS = 3
#: Deciles of predicted probability in the calibration table.
DECILES = 10


def _calibrated(learner: BaseEstimator, random_state: int) -> CalibratedClassifierCV:
    """``learner`` calibrated by Platt scaling on shuffled, stratified folds of its training
    rows. Folds of consecutive cutoffs (as the propensity models use) or the latest
    cutoffs held out calibrate to one season: on the demo's world, where conversion runs
    0.026-0.060 by month, they read 33 % and 80 % high on the later evaluation cutoffs,
    shuffled folds 16 % (the gap between the two periods' conversion the features do not
    explain)."""
    folds = StratifiedKFold(CALIBRATION_FOLDS, shuffle=True, random_state=random_state)
    return CalibratedClassifierCV(learner, method="sigmoid", cv=folds)


def make_lead_gradient_boosting(spec: FeatureSpec, random_state: int = 0
                                ) -> CalibratedClassifierCV:
    """Calibrated gradient boosting over ``spec``'s columns (lead sources one-hot), with
    the propensity model's hyperparameters: shallow trees, leaves of at least 200 rows."""
    encode = ColumnTransformer(
        [("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
          list(spec.categorical)),
         ("numbers", "passthrough", list(spec.numeric))],
        verbose_feature_names_out=False,
    )
    trees = HistGradientBoostingClassifier(random_state=random_state, **GBM_PARAMS)
    return _calibrated(Pipeline([("encode", encode), ("trees", trees)]), random_state)


def make_lead_logistic_regression(spec: FeatureSpec, random_state: int = 0
                                  ) -> CalibratedClassifierCV:
    """The propensity model's logistic regression over ``spec``'s columns, calibrated the
    same way."""
    return _calibrated(make_logistic_regression(spec), random_state)


def deciles(probability: ArrayLike) -> np.ndarray:
    """1 for the tenth of rows with the highest probability ... 10 for the lowest (ties
    broken by order, so the deciles hold equal numbers of rows)."""
    p = np.asarray(probability, dtype=float)
    order = pd.Series(-p).rank(method="first").astype(int).to_numpy()
    return np.minimum(DECILES, (order - 1) * DECILES // max(len(p), 1) + 1)


def calibration_table(y: ArrayLike, probability: ArrayLike) -> pd.DataFrame:
    """One row per decile of predicted probability (1 = highest): rows, conversions,
    mean predicted probability, observed rate, lowest and highest probability."""
    frame = pd.DataFrame({"y": np.asarray(y).astype(int),
                          "p": np.asarray(probability, dtype=float)})
    frame["decile"] = deciles(frame["p"].to_numpy())
    table = frame.groupby("decile").agg(
        n_rows=("y", "size"), conversions=("y", "sum"), mean_predicted=("p", "mean"),
        observed_rate=("y", "mean"), min_predicted=("p", "min"), max_predicted=("p", "max"))
    return table.reset_index()


def decile_figures(y: ArrayLike, ranking: ArrayLike,
                   probability: ArrayLike | None = None) -> dict[str, float]:
    """Conversion in the top and bottom deciles of ``ranking`` and on average, their
    ratios, and (given probabilities) the mean predicted over the observed rate and the
    largest gap between a decile's mean predicted and observed rate."""
    y = np.asarray(y).astype(int)
    table = calibration_table(y, ranking).set_index("decile")
    top, bottom = table.loc[1, "observed_rate"], table.loc[DECILES, "observed_rate"]
    average = float(y.mean())
    out = {"average_conversion": average,
           "top_decile_conversion": float(top),
           "bottom_decile_conversion": float(bottom),
           "top_vs_bottom_decile": float(top / bottom) if bottom > 0 else float("nan"),
           "top_decile_vs_average": float(top / average) if average > 0 else float("nan")}
    if probability is not None:
        p = np.asarray(probability, dtype=float)
        by_p = calibration_table(y, p)
        out["predicted_over_observed"] = float(p.mean() / average) if average > 0 \
            else float("nan")
        out["max_decile_calibration_gap"] = float(
            (by_p["mean_predicted"] - by_p["observed_rate"]).abs().max())
    return out
