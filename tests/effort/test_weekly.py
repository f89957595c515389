"""Lift over time on a hand-made org: weeks from Monday in the org's zone with their n and
Wilson intervals, empty weeks kept as gaps, touches still in their window left out, the value
filter, and the before-and-after around a change day with its Newcombe interval."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from rightturn.analytics.intervals import newcombe, wilson
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.effort.report import scoped_touches
from rightturn.effort.touches import Touch
from rightturn.effort.weekly import before_after, weekly_lift, weekly_rates
from rightturn.errors import ParseError
from tests.effort.small_org import DAY, UNTIL, ZONE, at, local, make_org, touch, touches


@pytest.fixture
def org(store: Store) -> Store:
    return make_org(store)


def read(store: Store, scope: Scope | None = None) -> list[Touch]:
    return scoped_touches(store, scope or Scope.everything(), since=None, until=UNTIL)


def test_a_week_runs_monday_to_sunday_in_the_org_time_zone(org: Store) -> None:
    sunday = DAY - timedelta(days=22)  # Sunday 2026-05-24
    # 22:00 on Sunday in New York is already Monday in UTC: it stays in Sunday's week.
    touch(org, "R1", local(sunday, 22), answered=True)
    touch(org, "R1", local(sunday + timedelta(days=1), 0), answered=False)
    weeks = weekly_rates(read(org), ZONE)
    assert [(w.week, w.touches, w.responses) for w in weeks] == [
        (sunday - timedelta(days=6), 1, 1),
        (sunday + timedelta(days=1), 1, 0),
    ]
    assert all(w.week.weekday() == 0 for w in weeks)


def test_each_week_has_its_n_its_rate_and_its_wilson_interval_and_gaps_stay(org: Store) -> None:
    touches(org, "R1", at(35), 10, 3)  # the week of 2026-05-11
    touches(org, "R2", at(21), 4, 0)  # the week of 2026-05-25; the week between is empty
    weeks = weekly_rates(read(org), ZONE)
    assert [w.week for w in weeks] == [date(2026, 5, 11), date(2026, 5, 18), date(2026, 5, 25)]
    first, empty, last = weeks
    assert (first.touches, first.responses, first.rate) == (10, 3, 0.3)
    assert (first.ci_low, first.ci_high) == pytest.approx(wilson(3, 10))
    assert (empty.touches, empty.rate, empty.ci_low) == (0, None, None)
    assert (last.touches, last.responses, last.rate, last.ci_low) == (4, 0, 0.0, 0.0)
    assert last.ci_high == pytest.approx(wilson(0, 4)[1])  # type: ignore[index]


def test_touches_whose_buyers_may_still_answer_do_not_count(org: Store) -> None:
    touches(org, "R1", at(20), 3, 1)
    touches(org, "R1", at(10), 5, 0)  # 10 days before the as-of day: still in their window
    weeks = weekly_lift(read(org), ZONE, until=UNTIL).weeks
    assert sum(w.touches for w in weeks) == 3


def test_only_the_touches_of_the_value_asked_for_count(org: Store) -> None:
    touches(org, "R1", at(30), 6, 3)
    touches(org, "R1", at(30, hour=16), 4, 1, channel="call")
    lift = weekly_lift(read(org), ZONE, until=UNTIL, feature="channel", value="Call")
    assert lift.value == "call"
    assert [(w.touches, w.responses) for w in lift.weeks] == [(4, 1)]
    with pytest.raises(ParseError, match=r"the channel values are email \(6 touches\), call "):
        weekly_lift(read(org), ZONE, until=UNTIL, feature="channel", value="fax")


def test_a_rep_is_picked_by_name(org: Store) -> None:
    touches(org, "R1", at(30), 2, 1)
    touches(org, "R2", at(30), 5, 0)
    names = {"R1": "Ann Lee", "R2": "Bo Chen"}
    lift = weekly_lift(read(org), ZONE, until=UNTIL, feature="rep", value="bo chen", names=names)
    assert lift.value == "Bo Chen" and sum(w.touches for w in lift.weeks) == 5


def test_before_and_after_a_change_compare_as_many_days_each_side(org: Store) -> None:
    change = DAY - timedelta(days=42)  # Monday 2026-05-04
    touches(org, "R1", local(change - timedelta(days=20), 10), 8, 8)  # before the window
    touches(org, "R1", local(change - timedelta(days=10), 10), 20, 2)
    touches(org, "R2", local(change + timedelta(days=3), 10), 20, 10)
    touches(org, "R2", local(change + timedelta(days=16), 10), 9, 9)  # after the window
    found = before_after(read(org), ZONE, change, until=UNTIL, weeks=2)
    assert (found.days, found.start, found.last_before, found.end) == (
        14,
        change - timedelta(days=14),
        change - timedelta(days=1),
        change + timedelta(days=13),
    )
    assert (found.before_touches, found.before_responses) == (20, 2)
    assert (found.after_touches, found.after_responses) == (20, 10)
    assert found.lift == pytest.approx(0.5 - 0.1)
    assert (found.lift_ci_low, found.lift_ci_high) == pytest.approx(newcombe(2, 20, 10, 20))
    assert found.verdict == "better"


def test_a_change_with_as_many_responses_on_each_side_is_no_clear_change(org: Store) -> None:
    change = DAY - timedelta(days=42)
    touches(org, "R1", local(change - timedelta(days=5), 10), 10, 3)
    touches(org, "R1", local(change + timedelta(days=2), 10), 10, 3)
    assert before_after(read(org), ZONE, change, until=UNTIL).verdict == "no clear change"


def test_the_windows_shrink_to_the_data_before_the_change(org: Store) -> None:
    change = DAY - timedelta(days=42)
    touches(org, "R1", local(change - timedelta(days=3), 10), 5, 1)
    touches(org, "R1", local(change + timedelta(days=1), 10), 5, 4)
    touches(org, "R1", local(change + timedelta(days=6), 10), 5, 4)  # past three days after
    found = before_after(read(org), ZONE, change, until=UNTIL, weeks=4)
    assert found.days == 3 and found.after_touches == 5


def test_a_change_too_recent_to_judge_names_the_last_day_that_can_be(org: Store) -> None:
    touches(org, "R1", at(40), 5, 1)
    with pytest.raises(ParseError, match="give a day up to 2026-05-31"):
        before_after(read(org), ZONE, DAY - timedelta(days=10), until=UNTIL)
    with pytest.raises(ParseError, match="nothing comes before it"):
        before_after(read(org), ZONE, DAY - timedelta(days=45), until=UNTIL)


def test_as_json_writes_days_as_iso_dates(org: Store) -> None:
    touches(org, "R1", at(40), 5, 1)
    touches(org, "R1", at(33), 5, 2)
    body = weekly_lift(read(org), ZONE, until=UNTIL, change=DAY - timedelta(days=35)).as_json()
    assert set(body) == {"feature", "value", "zone", "weeks", "around"}
    assert body["weeks"][0]["week"] == "2026-05-04"
    assert body["around"]["change"] == "2026-05-11" and body["around"]["verdict"]
