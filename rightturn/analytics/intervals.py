"""95% intervals for a figure and for the difference between two groups of it.

* a share (k of n): **Wilson** score interval, which stays inside 0-1 and behaves at small n and
  at 0 or n events, where the textbook p ± 1.96·se does not; the difference of two shares:
  **Newcombe**'s hybrid score interval (his method 10), built from the two Wilson intervals;
* a mean: **Student t**; the difference of two means: **Welch** t, which does not assume the two
  groups spread alike;
* a median: **bootstrap** percentile interval (:data:`RESAMPLES` resamples, seeded, so the same
  data gives the same interval on every run); the difference of two medians: the same bootstrap,
  each group resampled on its own.

Each returns None where no interval exists (no data, or one value for a spread).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "RESAMPLES",
    "Z95",
    "bootstrap_median",
    "bootstrap_median_difference",
    "mean_t",
    "newcombe",
    "welch",
    "wilson",
]

Z95 = 1.959963984540054  # the normal quantile leaving 2.5% in each tail
RESAMPLES = 2000
_SEED = 13

Interval = tuple[float, float]


def wilson(k: int, n: int) -> Interval | None:
    """The Wilson 95% interval of ``k`` events in ``n`` trials (None when ``n`` is 0)."""
    if n <= 0:
        return None
    p, z2 = k / n, Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(k1: int, n1: int, k2: int, n2: int) -> Interval | None:
    """Newcombe's 95% interval of the second share minus the first (``k2/n2 - k1/n1``)."""
    first, second = wilson(k1, n1), wilson(k2, n2)
    if first is None or second is None:
        return None
    p1, p2 = k1 / n1, k2 / n2
    (l1, u1), (l2, u2) = first, second
    d = p2 - p1
    return (
        d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2),
        d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2),
    )


def _t(df: float) -> float:
    """The t quantile leaving 2.5% in each tail."""
    from scipy.stats import t  # imported when used: scipy takes a while to load

    return float(t.ppf(0.975, df))


def mean_t(values: Sequence[float]) -> Interval | None:
    """The Student t 95% interval of the mean of ``values`` (None below two values)."""
    n = len(values)
    if n < 2:
        return None
    mean, sd = float(np.mean(values)), float(np.std(values, ddof=1))
    half = _t(n - 1) * sd / math.sqrt(n)
    return mean - half, mean + half


def welch(first: Sequence[float], second: Sequence[float]) -> Interval | None:
    """Welch's 95% interval of ``mean(second) - mean(first)`` (None below two values a side)."""
    n1, n2 = len(first), len(second)
    if n1 < 2 or n2 < 2:
        return None
    d = float(np.mean(second)) - float(np.mean(first))
    a, b = float(np.var(first, ddof=1)) / n1, float(np.var(second, ddof=1)) / n2
    if a + b == 0:  # no spread on either side: the difference is what it is
        return d, d
    df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n2 - 1))
    half = _t(df) * math.sqrt(a + b)
    return d - half, d + half


def _medians(values: Sequence[float], rng: np.random.Generator) -> np.ndarray:
    data = np.asarray(values, dtype=float)
    picks = rng.integers(0, len(data), size=(RESAMPLES, len(data)))
    return np.median(data[picks], axis=1)


def _percentiles(draws: np.ndarray) -> Interval:
    low, high = np.percentile(draws, [2.5, 97.5])
    return float(low), float(high)


def bootstrap_median(values: Sequence[float]) -> Interval | None:
    """The bootstrap 95% interval of the median of ``values`` (None below two values)."""
    if len(values) < 2:
        return None
    return _percentiles(_medians(values, np.random.default_rng(_SEED)))


def bootstrap_median_difference(first: Sequence[float], second: Sequence[float]) -> Interval | None:
    """The bootstrap 95% interval of ``median(second) - median(first)``."""
    if len(first) < 2 or len(second) < 2:
        return None
    rng = np.random.default_rng(_SEED)
    return _percentiles(_medians(second, rng) - _medians(first, rng))
