"""Inputs a model cannot learn from are set aside before fitting, with the reason: all
null, constant, or known only within one calibration fold (each fold's model learns from
the other folds, so it would see nothing but nulls and gradient boosting cannot bin that)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold

from models_ml.features import CALIBRATION_FOLDS, FeatureSpec, screen_features
from models_ml.propensity import make_gradient_boosting


def test_a_feature_known_only_in_one_calibration_fold_is_set_aside_and_the_model_fits():
    rng = np.random.default_rng(0)
    n = 301  # not a multiple of the folds: the folds' bounds are KFold's
    late = np.full(n, np.nan)
    late[-60:] = rng.normal(size=60)  # a source that arrived late: the last fold only
    spread = np.full(n, np.nan)
    spread[::7] = rng.normal(size=len(spread[::7]))  # sparse, but in every fold
    X = pd.DataFrame({"signal": rng.normal(size=n), "late": late, "spread": spread,
                      "empty": np.nan, "flat": 1.0})
    y = (X["signal"] + rng.normal(scale=0.5, size=n) > 0).astype(int)
    spec = FeatureSpec(numeric=tuple(X.columns))
    screening = screen_features(spec, X)
    assert set(screening.set_aside) == {"late", "empty", "flat"}
    assert screening.set_aside["late"].startswith(f"null outside calibration fold "
                                                  f"{CALIBRATION_FOLDS} of {CALIBRATION_FOLDS}")
    kept = list(screening.spec.columns)
    assert kept == ["signal", "spread"]
    # the late column is null on a fold's training rows, and fails the calibrated model ...
    assert any(X["late"].iloc[train].isna().all()
               for train, _ in KFold(CALIBRATION_FOLDS).split(X))
    with pytest.raises(ValueError, match="window shape"):
        make_gradient_boosting(FeatureSpec(numeric=("signal", "late"))).fit(
            X[["signal", "late"]], y)
    # ... and the screened inputs fit
    model = make_gradient_boosting(screening.spec).fit(X[kept], y)
    assert model.predict_proba(X[kept]).shape == (n, 2)
