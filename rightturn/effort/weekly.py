"""Lift over time: the week-by-week response rate of a rep, a team or a scope (optionally of the
touches of one practice value, such as focus = issue), and the rate before against after a
change, so a coach can see whether the change worked.

**Weeks** run Monday to Sunday in the org's time zone, so everyone in the org counts the same
weeks; each has its touches (n), the responses they earned, the rate and its 95% Wilson
interval. A week with no touches is listed with n = 0 and no rate, so a gap shows as a gap.

**Before and after.** The change day starts the after window (at midnight in the org's zone);
the before window is the same number of days just before it: at most ``weeks`` weeks, fewer
when the data starts later or the after side is cut short. The after side ends where touches
stop counting: only touches whose response window (:data:`~rightturn.effort.touches.
WINDOW_DAYS` days) was over by the as-of date count, as everywhere in Return-on-Effort. The
change in rate is after minus before with Newcombe's 95% interval; it is "better" or "worse"
only when that interval excludes 0. A before-and-after is not a controlled trial: the season or
a new list of buyers moves the rate too; the interval says only how much chance alone could.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rightturn.analytics.intervals import newcombe, wilson
from rightturn.effort.rates import practice_rates
from rightturn.effort.touches import WINDOW_DAYS, Touch
from rightturn.effort.values import find_value, touches_of
from rightturn.errors import ParseError

__all__ = [
    "DEFAULT_WEEKS",
    "BeforeAfter",
    "WeekRate",
    "WeeklyLift",
    "before_after",
    "week_of",
    "weekly_lift",
    "weekly_rates",
]

DEFAULT_WEEKS = 4  # each side of a change: long enough for a few hundred touches a team


@dataclass(frozen=True)
class WeekRate:
    """One Monday-to-Sunday week: ``responses`` of ``touches`` answered, the rate and its 95%
    interval (None in a week without touches)."""

    week: date  # its Monday
    touches: int
    responses: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class BeforeAfter:
    """The response rate in the ``days`` days before ``change`` against the ``days`` days from
    it (``start`` is the before window's first day, ``end`` the after window's last)."""

    change: date
    start: date
    end: date
    days: int
    before_touches: int
    before_responses: int
    before_rate: float
    before_ci_low: float
    before_ci_high: float
    after_touches: int
    after_responses: int
    after_rate: float
    after_ci_low: float
    after_ci_high: float
    lift: float
    lift_ci_low: float
    lift_ci_high: float
    verdict: str  # better | worse | no clear change

    @property
    def last_before(self) -> date:
        """The before window's last day, the day before the change."""
        return self.change - timedelta(days=1)


@dataclass(frozen=True)
class WeeklyLift:
    """The weeks of a scope's touches (of ``feature`` = ``value`` when given), in ``zone``,
    and the before-and-after around a change day when one was given."""

    feature: str | None
    value: str | None
    zone: str
    weeks: list[WeekRate]
    around: BeforeAfter | None

    def as_json(self) -> dict[str, Any]:
        """``rightturn effort weekly --json``: ``feature``, ``value``, ``zone``, ``weeks`` (a
        list of ``{"week", "touches", "responses", "rate", "ci_low", "ci_high"}``) and
        ``around`` (the before-and-after, or null)."""
        return asdict(self, dict_factory=_jsonable)


def _jsonable(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in pairs}


def week_of(at: datetime, zone: ZoneInfo) -> date:
    """The Monday of the week ``at`` falls in, in ``zone``."""
    day = at.astimezone(zone).date()
    return day - timedelta(days=day.weekday())


def weekly_rates(touches: list[Touch], zone: str) -> list[WeekRate]:
    """The response rate of each week from the first touch's to the last's, in ``zone``."""
    tz = ZoneInfo(zone)
    n: Counter[date] = Counter()
    k: Counter[date] = Counter()
    for t in touches:
        week = week_of(t.at, tz)
        n[week] += 1
        k[week] += t.responded
    if not n:
        return []
    weeks, week, last = [], min(n), max(n)
    while week <= last:
        interval = wilson(k[week], n[week])
        low, high = interval if interval else (None, None)
        rate = k[week] / n[week] if n[week] else None
        weeks.append(WeekRate(week, n[week], k[week], rate, low, high))
        week += timedelta(days=7)
    return weeks


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def before_after(
    touches: list[Touch],
    zone: str,
    change: date,
    *,
    until: datetime,
    weeks: int = DEFAULT_WEEKS,
) -> BeforeAfter:
    """The rate in the days before ``change`` against as many days from it (module docstring).

    ``until`` is the as-of moment the touches were read to: touches of its last
    :data:`~rightturn.effort.touches.WINDOW_DAYS` days do not count. Raises ParseError when
    the change leaves no day on a side."""
    if weeks < 1:
        raise ParseError(f"weeks = {weeks}: give 1 or more weeks on each side of the change")
    tz = ZoneInfo(zone)
    counted_until = (until - timedelta(days=WINDOW_DAYS)).astimezone(tz).date()
    first = min((t.at.astimezone(tz).date() for t in touches), default=None)
    if first is None:
        raise ParseError("no touches in this period and scope: nothing to compare")
    days_after = (counted_until - change).days  # the last counted day is not yet whole
    if days_after < 1:
        raise ParseError(
            f"change {change.isoformat()}: touches from then have not had {WINDOW_DAYS} days "
            f"to be answered by {until.date().isoformat()}; give a day up to "
            f"{(counted_until - timedelta(days=1)).isoformat()}"
        )
    days_before = (change - first).days
    if days_before < 1:
        raise ParseError(
            f"change {change.isoformat()}: the touches start on {first.isoformat()}, so "
            "nothing comes before it; give a later day"
        )
    days = min(weeks * 7, days_after, days_before)
    start, middle = _midnight(change - timedelta(days=days), tz), _midnight(change, tz)
    stop = _midnight(change + timedelta(days=days), tz)
    before = [t for t in touches if start <= t.at < middle]
    after = [t for t in touches if middle <= t.at < stop]
    (nb, kb), (na, ka) = _counts(before), _counts(after)
    b_ci, a_ci = wilson(kb, nb) or (0.0, 1.0), wilson(ka, na) or (0.0, 1.0)
    lift_ci = newcombe(kb, nb, ka, na)
    if lift_ci is None:
        raise ParseError(
            f"change {change.isoformat()}: no touches in the {days} days "
            f"{'before' if not nb else 'from'} it; give another day or widen the scope"
        )
    verdict = "better" if lift_ci[0] > 0 else "worse" if lift_ci[1] < 0 else "no clear change"
    return BeforeAfter(
        change,
        change - timedelta(days=days),
        change + timedelta(days=days - 1),
        days,
        nb,
        kb,
        kb / nb,
        *b_ci,
        na,
        ka,
        ka / na,
        *a_ci,
        ka / na - kb / nb,
        *lift_ci,
        verdict,
    )


def _counts(touches: list[Touch]) -> tuple[int, int]:
    return len(touches), sum(t.responded for t in touches)


def weekly_lift(
    touches: list[Touch],
    zone: str,
    *,
    until: datetime,
    feature: str | None = None,
    value: str | None = None,
    names: dict[str, str] | None = None,
    change: date | None = None,
    weeks: int = DEFAULT_WEEKS,
) -> WeeklyLift:
    """The weeks of ``touches`` (only those of ``feature`` = ``value`` when both are given: a
    ParseError lists the values there are), and the before-and-after around ``change``.
    ``names`` turns rep ids into names, for ``feature`` rep."""
    if (feature is None) != (value is None):
        raise ParseError(
            "give a feature and a value together (--by focus --value issue), or neither"
        )
    shown = None
    if feature is not None and value is not None:
        rows = practice_rates(touches, feature, names)
        key = find_value(rows, feature, value)
        touches = touches_of(touches, feature, key)
        shown = (names or {}).get(key, key)
    around = before_after(touches, zone, change, until=until, weeks=weeks) if change else None
    return WeeklyLift(feature, shown, zone, weekly_rates(touches, zone), around)
