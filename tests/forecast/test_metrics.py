"""The backtest's measures against scikit-learn and hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from rightturn.analytics.intervals import wilson
from rightturn.errors import ParseError
from rightturn.forecast.metrics import (
    BacktestMeasures,
    auc,
    backtest_json,
    brier,
    ece,
    interval_coverage,
    mape,
    reliability,
)


@pytest.fixture
def scored() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    p = rng.uniform(size=500)
    y = (rng.uniform(size=500) < p).astype(float)
    return y, p


def test_auc_matches_sklearn(scored: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = scored
    assert auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)


def test_auc_counts_ties_half_as_sklearn_does() -> None:
    y = [0, 1, 0, 1, 1, 0]
    p = [0.2, 0.2, 0.5, 0.5, 0.9, 0.1]  # rounded probabilities tie often
    assert auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)


def test_auc_is_none_when_every_deal_ends_the_same_way() -> None:
    assert auc([1, 1, 1], [0.2, 0.5, 0.9]) is None


def test_brier_matches_sklearn(scored: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = scored
    assert brier(y, p) == pytest.approx(brier_score_loss(y, p), abs=1e-12)


def test_ece_by_hand_on_two_bins() -> None:
    # Bin 0-50%: predictions 0.1, 0.3 (mean 0.2), outcomes 0, 1 (0.5): gap 0.3 over 2 deals.
    # Bin 50-100%: predictions 0.6, 0.8, 1.0 (mean 0.8), outcomes 1, 1, 1: gap 0.2 over 3.
    y = [0, 1, 1, 1, 1]
    p = [0.1, 0.3, 0.6, 0.8, 1.0]
    assert ece(y, p, bins=2) == pytest.approx((2 * 0.3 + 3 * 0.2) / 5)


def test_ece_of_perfect_calibration_shrinks_with_more_deals() -> None:
    rng = np.random.default_rng(8)
    p = rng.uniform(size=200_000)
    y = (rng.uniform(size=p.size) < p).astype(float)
    assert ece(y, p) < 0.01


def test_reliability_rows_carry_counts_rates_and_wilson_intervals() -> None:
    y = [0, 1, 1, 1, 1]
    p = [0.1, 0.3, 0.6, 0.8, 1.0]
    low, high = reliability(y, p, bins=2)
    assert (low.n, low.mean_predicted, low.observed) == (2, pytest.approx(0.2), 0.5)
    assert (low.observed_low, low.observed_high) == pytest.approx(wilson(1, 2))
    assert (high.low, high.high, high.n, high.observed) == (0.5, 1.0, 3, 1.0)


def test_reliability_leaves_empty_bins_out() -> None:
    rows = reliability([0, 1], [0.05, 0.95], bins=10)
    assert [(r.low, r.n) for r in rows] == [(0.0, 1), (pytest.approx(0.9), 1)]


def test_probabilities_given_as_percentages_are_refused() -> None:
    with pytest.raises(ParseError, match=r"0\.35, not 35"):
        brier([0, 1], [35, 70])


def test_interval_coverage_counts_the_ends_as_inside() -> None:
    actuals = [100, 50, 200, 80]
    p10s = [90, 60, 100, 80]
    p90s = [100, 70, 150, 120]
    assert interval_coverage(actuals, p10s, p90s) == 0.5


def test_mape_leaves_periods_with_nothing_won_out() -> None:
    assert mape([100, 0, 200], [110, 30, 150]) == pytest.approx((0.1 + 0.25) / 2)
    assert mape([0, 0], [5, 0]) is None


def test_the_json_contract_has_its_keys() -> None:
    model = BacktestMeasures(auc=0.8, brier=0.15, ece=0.03, interval_coverage=0.8, mape_p50=0.09)
    base = BacktestMeasures(auc=None, brier=None, ece=None, interval_coverage=None, mape_p50=0.2)
    out = backtest_json(model, {"stage_weighted": base, "rep_calls": base}, snapshots=12)
    keys = {"auc", "brier", "ece", "interval_coverage", "mape_p50"}
    assert set(out) == {"model", "baselines", "snapshots"}
    assert set(out["model"]) == keys and out["snapshots"] == 12
    assert all(set(b) == keys for b in out["baselines"].values())
