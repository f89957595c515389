"""The 95% intervals against published values and scipy: no database."""

from __future__ import annotations

import pytest
from scipy import stats

from rightturn.analytics.intervals import (
    bootstrap_median,
    bootstrap_median_difference,
    mean_t,
    newcombe,
    welch,
    wilson,
)


def test_wilson_matches_the_published_values_and_stays_inside_0_and_1() -> None:
    # Newcombe (1998), Statistics in Medicine 17:857, table I (method 3).
    assert wilson(81, 263) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    assert wilson(15, 148) == pytest.approx((0.0624, 0.1605), abs=1e-4)
    low, high = wilson(0, 20)  # type: ignore[misc]
    assert low == 0 and high == pytest.approx(0.1611, abs=1e-4)
    assert wilson(20, 20)[1] == 1.0  # type: ignore[index]
    assert wilson(0, 0) is None


def test_newcombe_matches_the_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 against 48/80, method 10.
    assert newcombe(48, 80, 56, 70) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    low, high = newcombe(56, 70, 48, 80)  # type: ignore[misc]
    assert (low, high) == pytest.approx((-0.3339, -0.0524), abs=1e-4)  # the other way round
    assert newcombe(1, 0, 1, 2) is None


def test_means_match_scipy() -> None:
    first, second = [1, 2, 2, 3, 5, 1, 2], [3, 4, 2, 5, 6, 4, 3, 5]
    expected = stats.t.interval(0.95, len(first) - 1, loc=sum(first) / 7, scale=stats.sem(first))
    assert mean_t(first) == pytest.approx(expected)
    welch_ci = stats.ttest_ind(second, first, equal_var=False).confidence_interval(0.95)
    assert welch(first, second) == pytest.approx((welch_ci.low, welch_ci.high))
    assert mean_t([4]) is None and welch([1], [2, 3]) is None
    assert welch([2, 2], [3, 3]) == (1.0, 1.0)  # no spread: the difference is exact


def test_the_bootstrap_is_repeatable_and_holds_the_median() -> None:
    values = [10.0, 12, 15, 20, 22, 30, 31, 45, 60, 90]
    low, high = bootstrap_median(values)  # type: ignore[misc]
    assert low <= 26 <= high and bootstrap_median(values) == (low, high)
    shifted = [v + 40 for v in values]
    d_low, d_high = bootstrap_median_difference(values, shifted)  # type: ignore[misc]
    assert d_low <= 40 <= d_high and d_low > 0
    assert bootstrap_median([3.0]) is None
