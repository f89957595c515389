"""A/B between two values of a practice on a hand-made org: the arms' counts, a decided and an
undecided test in a manager's words, the touches still needed, each rep's counts, the
within-rep view that flags a pooled lift made by who uses a practice, and the errors."""

from __future__ import annotations

import pytest

from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.effort.ab import SIZING_LIFT, compare_values
from rightturn.effort.report import scoped_touches
from rightturn.effort.stats import more_touches_needed
from rightturn.effort.touches import Touch
from rightturn.errors import ParseError
from tests.effort.small_org import UNTIL, at, make_org, touches

NAMES = {"R1": "Ann Lee", "R2": "Bo Chen", "R3": "Cy Dunn"}


@pytest.fixture
def org(store: Store) -> Store:
    return make_org(store)


def read(store: Store) -> list[Touch]:
    return scoped_touches(store, Scope.everything(), since=None, until=UNTIL)


def test_a_clear_lift_is_decided_for_the_better_arm(org: Store) -> None:
    touches(org, "R1", at(40), 60, 3, channel="call")
    touches(org, "R1", at(30), 60, 30, channel="email")
    found = compare_values(read(org), "channel", "call", "email", NAMES)
    assert (found.a.value, found.a.touches, found.a.responses) == ("call", 60, 3)
    assert (found.b.value, found.b.touches, found.b.responses) == ("email", 60, 30)
    assert found.result.decision == "B better" and found.result.prob_b_better > 0.99
    assert found.result.lift == pytest.approx(31 / 62 - 4 / 62)
    assert found.more_touches is None
    assert found.summary == (
        "Decided: email earns more responses than call (50.0% of 60 touches against 5.0% of 60)."
    )
    assert found.chance == "over 99%"
    # Swapped, the same evidence decides for A.
    swapped = compare_values(read(org), "channel", "email", "call", NAMES)
    assert swapped.result.decision == "A better" and swapped.summary.startswith("Decided: email")


def test_an_open_test_says_how_many_more_touches_each_arm_needs(org: Store) -> None:
    touches(org, "R1", at(40), 10, 2, channel="call")
    touches(org, "R2", at(30), 10, 3, channel="email")
    found = compare_values(read(org), "channel", "call", "email", NAMES)
    assert found.result.decision == "not yet"
    assert found.more_touches == more_touches_needed(2, 10, 3, 10)
    assert found.sized_lift == pytest.approx(4 / 12 - 3 / 12)
    words = found.summary
    assert words.startswith("Not decided yet: about ") and "more touches each" in words
    shown = int(words.removeprefix("Not decided yet: about ").split(" ")[0].replace(",", ""))
    assert abs(shown - (found.more_touches or 0)) <= 0.05 * (found.more_touches or 0)
    assert f"the chance email is better is {found.result.prob_b_better:.0%}" in words


def test_arms_that_answered_alike_are_sized_for_a_two_point_lift(org: Store) -> None:
    touches(org, "R1", at(40), 10, 2, channel="call")
    touches(org, "R1", at(30), 10, 2, channel="email")
    found = compare_values(read(org), "channel", "call", "email", NAMES)
    assert found.sized_lift == SIZING_LIFT
    assert found.more_touches == more_touches_needed(2, 10, 2, 10, lift=SIZING_LIFT)
    assert "to tell a 2.0-point difference" in found.summary


def test_each_reps_counts_are_listed_by_name(org: Store) -> None:
    touches(org, "R1", at(40), 6, 1, channel="call")
    touches(org, "R1", at(30), 3, 2, channel="email")
    touches(org, "R3", at(30), 5, 1, channel="email")
    found = compare_values(read(org), "channel", "call", "email", NAMES)
    by_rep = {r.rep: (r.touches_a, r.responses_a, r.touches_b, r.responses_b) for r in found.reps}
    assert by_rep == {"Ann Lee": (6, 1, 3, 2), "Cy Dunn": (0, 0, 5, 1)}
    assert found.effect.reps == 2 and found.effect.reps_entered == 1  # only Ann used both


def test_a_pooled_lift_made_by_who_uses_a_practice_is_flagged(org: Store) -> None:
    # Within each rep the two channels answer alike; Ann answers far more and calls mostly,
    # Bo emails mostly: pooled, calls look far better, which is Ann, not calling.
    touches(org, "R1", at(40), 100, 50, channel="call")
    touches(org, "R1", at(30), 10, 5, channel="email")
    touches(org, "R2", at(40), 10, 1, channel="call")
    touches(org, "R2", at(30), 100, 10, channel="email")
    found = compare_values(read(org), "channel", "call", "email", NAMES)
    assert found.effect.pooled_verdict == "A better"
    assert found.effect.within_rep_difference == pytest.approx(0.0, abs=1e-9)
    assert found.effect.disagree
    body = found.as_json()
    assert body["disagree"] is True and body["within_rep"]["verdict"] == "no clear difference"


def test_the_json_keeps_each_arm_in_the_rates_contract(org: Store) -> None:
    touches(org, "R1", at(40), 4, 1, channel="call")
    touches(org, "R1", at(30), 4, 2, channel="email")
    body = compare_values(read(org), "channel", "call", "email", NAMES).as_json()
    for arm in ("a", "b"):
        assert {"value", "touches", "responses", "rate", "ci_low", "ci_high"} <= set(body[arm])
    assert {
        "prob_b_better",
        "lift",
        "lift_ci_low",
        "lift_ci_high",
        "decision",
        "more_touches_needed",
        "summary",
        "within_rep",
        "pooled",
        "disagree",
        "reps",
    } <= set(body)
    assert body["lift_ci_low"] < body["lift"] < body["lift_ci_high"]


def test_reps_compare_by_name_or_id(org: Store) -> None:
    touches(org, "R1", at(40), 4, 1)
    touches(org, "R2", at(40), 4, 3)
    found = compare_values(read(org), "rep", "ann lee", "R2", NAMES)
    assert (found.a.value, found.a.key, found.b.value) == ("Ann Lee", "R1", "Bo Chen")


def test_a_value_no_touch_has_is_refused_with_the_values_there_are(org: Store) -> None:
    touches(org, "R1", at(40), 4, 1, channel="call")
    touches(org, "R1", at(30), 2, 1, channel="email")
    with pytest.raises(ParseError, match=r"B 'fax'.*call \(4 touches\), email \(2 touches\)"):
        compare_values(read(org), "channel", "call", "fax", NAMES)
    with pytest.raises(ParseError, match="give two different values"):
        compare_values(read(org), "channel", "call", "Call", NAMES)
    with pytest.raises(ParseError, match="use one of channel, step"):
        compare_values(read(org), "colour", "red", "blue", NAMES)
