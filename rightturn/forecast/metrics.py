"""How good a forecast was: the measures the backtest reports, for the model and its baselines.

Per-deal probabilities against outcomes (1 won, 0 not):

* **AUC**: the chance a won deal was given a higher probability than a lost one (ties count
  half), from the Mann-Whitney rank sum; it ranks, it does not check the level.
* **Brier score**: the mean squared gap between probability and outcome (0 perfect; 0.25 for
  a coin flip said as 50%).
* **ECE** (expected calibration error): the deals are put in ``bins`` *equal-width* bins of
  predicted probability (0-10%, 10-20%, ...), and ECE is the mean over deals of
  ``|mean predicted - observed rate|`` in their bin. Equal-width rather than equal-mass so a
  manager reads each row of the reliability table as "the deals we called 60-70%", the same
  edges for the model and every baseline; empty bins weigh nothing.
* **reliability table**: those bins, with n, mean predicted, observed rate and its Wilson
  interval (:func:`rightturn.analytics.intervals.wilson`).

Period forecasts against what was won:

* **interval coverage**: the share of periods whose actual fell within P10-P90, ends included
  (a well-calibrated range holds it 80% of the time).
* **MAPE**: mean of ``|forecast - actual| / actual``. A period (or rep) with nothing won has no
  percentage error, so it is left out, not counted as 0% or infinite; None when every actual
  is 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.stats import rankdata

from rightturn.analytics.intervals import wilson
from rightturn.errors import ParseError

__all__ = [
    "BacktestMeasures",
    "ReliabilityRow",
    "auc",
    "backtest_json",
    "brier",
    "ece",
    "interval_coverage",
    "mape",
    "reliability",
]

ArrayLike = Sequence[float] | np.ndarray


def _outcomes(y: ArrayLike, p: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """The outcomes and probabilities as arrays, checked: same length, 0/1, within 0-1."""
    y_arr, p_arr = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    if y_arr.shape != p_arr.shape or y_arr.ndim != 1:
        raise ParseError(
            f"outcomes ({y_arr.shape}) and probabilities ({p_arr.shape}) differ: give one "
            "probability per outcome"
        )
    if not np.isin(y_arr, (0.0, 1.0)).all():
        raise ParseError("outcomes must be 0 (not won) or 1 (won)")
    if np.isnan(p_arr).any() or (p_arr < 0).any() or (p_arr > 1).any():
        raise ParseError("probabilities must lie within 0-1 (give 0.35, not 35)")
    return y_arr, p_arr


def auc(y: ArrayLike, p: ArrayLike) -> float | None:
    """The area under the ROC curve; None when the outcomes are all one kind (no pair to rank)."""
    y_arr, p_arr = _outcomes(y, p)
    won = int(y_arr.sum())
    lost = len(y_arr) - won
    if won == 0 or lost == 0:
        return None
    ranks = rankdata(p_arr)  # ties share their mean rank: a tie counts half
    return float((ranks[y_arr == 1].sum() - won * (won + 1) / 2) / (won * lost))


def brier(y: ArrayLike, p: ArrayLike) -> float | None:
    """The mean squared difference between probability and outcome; None with no deals."""
    y_arr, p_arr = _outcomes(y, p)
    if not len(y_arr):
        return None
    return float(np.mean((p_arr - y_arr) ** 2))


@dataclass(frozen=True)
class ReliabilityRow:
    """One bin of predicted probability: ``[low, high)`` (the last bin includes 1), its deals,
    their mean prediction, the share won, and that share's Wilson 95% interval."""

    low: float
    high: float
    n: int
    mean_predicted: float
    observed: float
    observed_low: float
    observed_high: float


def _bin_index(p: np.ndarray, bins: int) -> np.ndarray:
    if bins < 1:
        raise ParseError(f"bins = {bins}: give at least 1")
    # A probability of exactly 1 belongs to the last bin, not an eleventh.
    return np.minimum((p * bins).astype(int), bins - 1)


def reliability(y: ArrayLike, p: ArrayLike, bins: int = 10) -> list[ReliabilityRow]:
    """The reliability table over ``bins`` equal-width bins; empty bins are left out."""
    y_arr, p_arr = _outcomes(y, p)
    index = _bin_index(p_arr, bins)
    rows = []
    for b in range(bins):
        here = index == b
        n = int(here.sum())
        if not n:
            continue
        won = int(y_arr[here].sum())
        low, high = wilson(won, n) or (math.nan, math.nan)
        rows.append(
            ReliabilityRow(
                low=b / bins,
                high=(b + 1) / bins,
                n=n,
                mean_predicted=float(p_arr[here].mean()),
                observed=won / n,
                observed_low=low,
                observed_high=high,
            )
        )
    return rows


def ece(y: ArrayLike, p: ArrayLike, bins: int = 10) -> float | None:
    """The expected calibration error over ``bins`` equal-width bins; None with no deals."""
    rows = reliability(y, p, bins)
    total = sum(r.n for r in rows)
    if not total:
        return None
    return sum(r.n * abs(r.mean_predicted - r.observed) for r in rows) / total


def _paired(*columns: ArrayLike) -> list[np.ndarray]:
    arrays = [np.asarray(c, dtype=float) for c in columns]
    if len({a.shape for a in arrays}) != 1:
        raise ParseError(
            "actuals and forecasts differ in length: give one forecast per period "
            f"({', '.join(str(len(a)) for a in arrays)})"
        )
    return arrays


def interval_coverage(actuals: ArrayLike, p10s: ArrayLike, p90s: ArrayLike) -> float | None:
    """The share of periods whose actual lay within its P10-P90; None with no periods."""
    actual, low, high = _paired(actuals, p10s, p90s)
    if (low > high).any():
        raise ParseError("a P10 is above its P90: pass the ranges as (actuals, p10s, p90s)")
    if not len(actual):
        return None
    return float(np.mean((actual >= low) & (actual <= high)))


def mape(actuals: ArrayLike, forecasts: ArrayLike) -> float | None:
    """The mean absolute percentage error over the periods with something won (actual > 0);
    None when there are none. A zero actual has no percentage error and is left out."""
    actual, forecast = _paired(actuals, forecasts)
    counted = actual != 0
    if not counted.any():
        return None
    return float(np.mean(np.abs(forecast[counted] - actual[counted]) / np.abs(actual[counted])))


@dataclass(frozen=True)
class BacktestMeasures:
    """One forecaster's measures, under the keys of the backtest's ``--json`` contract."""

    auc: float | None
    brier: float | None
    ece: float | None
    interval_coverage: float | None
    mape_p50: float | None

    def as_dict(self) -> dict[str, float | None]:
        """The contract's keys and values (None where a measure does not apply)."""
        return asdict(self)


def backtest_json(
    model: BacktestMeasures, baselines: Mapping[str, BacktestMeasures], snapshots: int
) -> dict[str, Any]:
    """The backtest's ``--json`` object: ``{"model": {...}, "baselines": {name: {...}},
    "snapshots": N}`` with the keys of :class:`BacktestMeasures` in each."""
    return {
        "model": model.as_dict(),
        "baselines": {name: m.as_dict() for name, m in baselines.items()},
        "snapshots": snapshots,
    }
