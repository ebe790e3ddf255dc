"""The lead model's calibration table: deciles of equal size, ordered by probability, with
the observed conversion beside the mean predicted probability."""

from __future__ import annotations

import numpy as np
import pytest

from models_ml.lead_scoring import calibration_table, decile_figures, deciles


def test_deciles_hold_equal_rows_and_the_first_holds_the_highest_probabilities():
    p = np.random.default_rng(0).random(1003)
    d = deciles(p)
    counts = np.bincount(d)[1:]
    assert len(counts) == 10 and counts.max() - counts.min() <= 1
    assert p[d == 1].min() >= p[d == 2].max()
    assert p[d == 10].max() <= p[d == 9].min()


def test_calibration_table_compares_mean_predicted_with_observed_conversion():
    rng = np.random.default_rng(1)
    p = rng.beta(1, 20, 100_000)
    y = rng.random(len(p)) < p  # outcomes drawn from the probabilities: calibrated
    table = calibration_table(y, p)
    assert list(table["decile"]) == list(range(1, 11))
    assert table["n_rows"].sum() == len(p)
    assert table["conversions"].sum() == y.sum()
    assert (table["mean_predicted"].diff().dropna() < 0).all()
    assert np.allclose(table["observed_rate"], table["mean_predicted"], atol=0.02)
    figures = decile_figures(y, p, p)
    assert figures["predicted_over_observed"] == pytest.approx(1.0, abs=0.05)
    assert figures["top_decile_conversion"] > figures["average_conversion"] \
        > figures["bottom_decile_conversion"]


def test_probabilities_twice_too_high_show_in_the_table():
    rng = np.random.default_rng(2)
    p = rng.beta(1, 20, 100_000)
    y = rng.random(len(p)) < p
    figures = decile_figures(y, 2 * p, 2 * p)
    assert figures["predicted_over_observed"] == pytest.approx(2.0, abs=0.1)
    assert figures["max_decile_calibration_gap"] > 0.05
