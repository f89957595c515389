"""Rates by practice on hand-made touches: counts, Wilson intervals, order, and the within-rep
view that tells "brief mail works" from "good reps write brief mail"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from rightturn.analytics.intervals import wilson
from rightturn.effort.rates import practice_rates, window_over
from rightturn.effort.touches import Touch
from rightturn.errors import ParseError

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
_ids = count(1)


def touches(rep: str, words: int, n: int, answered: int) -> list[Touch]:
    return [
        Touch(next(_ids), rep, f"C{i}", None, None, T0, "email", words=words, questions=0,
              focus="issue" if words < 100 else "product", responded=i < answered)
        for i in range(n)
    ]  # fmt: skip


def test_counts_intervals_and_order() -> None:
    found = practice_rates(touches("R1", 60, 40, 10) + touches("R1", 300, 60, 3), "length")
    assert [r.value for r in found] == ["under 75 words", "over 250 words"]  # the band order
    brief = found[0]
    assert (brief.touches, brief.responses, brief.rate) == (40, 10, 0.25)
    assert (brief.ci_low, brief.ci_high) == pytest.approx(wilson(10, 40))
    assert brief.vs_rest_pooled == pytest.approx(0.25 - 0.05)


def test_a_practice_that_goes_with_good_reps_is_flagged() -> None:
    """Simpson's paradox: the good rep writes brief mail and is answered whatever they write;
    the weak rep writes long mail and is answered as little whatever they write."""
    good = touches("GOOD", 60, 200, 60) + touches("GOOD", 300, 20, 6)
    weak = touches("WEAK", 60, 20, 1) + touches("WEAK", 300, 200, 10)
    rows = {r.value: r for r in practice_rates(good + weak, "focus")}
    issue = rows["issue"]
    assert issue.vs_rest_pooled is not None and issue.vs_rest_pooled > 0.15
    assert issue.vs_rest_within_rep == pytest.approx(0.0, abs=0.02)
    assert issue.within_ci_low is not None and issue.within_ci_low < 0 < issue.within_ci_high
    assert issue.disagree


def test_rep_rows_carry_names_and_ids_and_no_within_rep_view() -> None:
    rows = practice_rates(touches("R1", 60, 10, 2) + touches("R2", 60, 5, 1), "rep",
                          {"R1": "Ann Lee", "R2": "Bo Chen"})  # fmt: skip
    assert [(r.value, r.key) for r in rows] == [("Ann Lee", "R1"), ("Bo Chen", "R2")]
    assert all(r.vs_rest_within_rep is None for r in rows)


def test_unknown_feature_and_open_windows() -> None:
    with pytest.raises(ParseError, match="channel, step"):
        practice_rates([], "colour")
    late = touches("R1", 60, 2, 0)
    late[1].at = T0 + timedelta(days=20)
    assert window_over(late, T0 + timedelta(days=21)) == late[:1]
