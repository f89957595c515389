"""A process change as an experiment: the weeks before a version was applied against the weeks
after, side by side, each figure with its 95% interval and its n.

**The windows.** Of the two versions compared, the one applied earlier is *before* and the later
*after*, whatever order they are given in. The before window ends when the before version stopped
being in force (when the next version was applied: the after version itself, unless others came
between); the after window starts when the after version was applied. Both have the same length:
the shorter of the two periods, at most ``weeks`` weeks, so neither side gets more time to
accumulate prospects. The before window starts no earlier than the org's first captured
outbound email or call (the windows are the org's, whoever looks); the after window ends where
the after version stopped being in force, and ``horizon_days`` before the as-of date (below).

**What is counted.** Prospecting sequences (:func:`~rightturn.process.sequences.
prospect_sequences`) *started* in a window belong to it, and to the version in force at their
first touch, however long they run. Each sequence is followed for a fixed horizon,
:data:`HORIZON_DAYS` days from its first touch (the quiet gap after which a sequence is over),
and only what happens within it counts: touches made, a buyer reply or call-back, a meeting with
the contact (held or accepted), an opportunity of the rep at the contact's account or naming the
contact. A sequence's horizon must be over by the as-of date, which is why the after window ends
that many days before it: otherwise late starters, followed for less time, would pull the after
rates down. Cycle time is the days from creation to win of the deals won in each window, counting
on both sides only cycles no longer than the time from the org's first deal to the before window's
start (``cycle_days_at_most``): a deal won then could not be older, so without the cap a young
org's before side would hold only short cycles and the change would read "worse" by itself. Most
deals won in the after window were created under the earlier version: the cycle moves late.

**The verdict.** The difference is after minus before, with a 95% interval
(:mod:`rightturn.analytics.intervals`). An interval that spans 0 is "no clear change";
otherwise the change is "better" or "worse" for the outcomes (a shorter cycle is better), and
"more" or "fewer" for touches per prospect: touches are the effort, not its result, and whether
more is better depends on what the change meant to do. ``enough_data`` is False below
:data:`MIN_SEQUENCES` sequences (:data:`MIN_WON` won deals for the cycle) on either side.

A before/after comparison is not a randomized trial: the season, new reps or the market move
these figures too; the intervals say only how much chance alone could.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rightturn.analytics.definitions import FIGURES
from rightturn.analytics.intervals import (
    bootstrap_median,
    bootstrap_median_difference,
    mean_t,
    newcombe,
    welch,
    wilson,
)
from rightturn.crm.model import Activity, BuyerAction, Opportunity
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.crm.zones import org_time_zone
from rightturn.errors import NotFound, ParseError
from rightturn.process.sequences import (
    QUIET_DAYS,
    Deals,
    Sequence,
    prospect_sequences,
    read_deals,
)
from rightturn.process.versions import (
    AppliedProcess,
    default_version,
    find_version,
    list_versions,
)

__all__ = [
    "CONTRACT_KEYS",
    "DEFAULT_WEEKS",
    "HORIZON_DAYS",
    "METRIC_KEYS",
    "MIN_SEQUENCES",
    "MIN_WON",
    "Comparison",
    "MetricChange",
    "Window",
    "compare_versions",
]

HORIZON_DAYS = QUIET_DAYS
MIN_SEQUENCES = 30
MIN_WON = 10
DEFAULT_WEEKS = 8
_DAY = timedelta(days=1)
_RESPONDED = ("buyer reply", "meeting booked")

# The ``--json`` contract: the top level, each window, each metric.
CONTRACT_KEYS = {
    "top": (
        "as_of", "time_zone", "horizon_days", "weeks", "between", "cycle_days_at_most", "before",
        "after", "metrics",
    ),
    "window": ("version", "name", "from", "to", "days", "sequences", "won_deals"),
    "metric": (
        "key", "name", "before", "before_ci", "before_n", "after", "after_ci", "after_n",
        "change", "change_ci", "verdict", "enough_data", "method",
    ),
}  # fmt: skip
METRIC_KEYS = (
    "touches_per_prospect",
    "prospect_response_rate",
    "prospect_meeting_rate",
    "prospect_opportunity_rate",
    "cycle_days_won",
)


@dataclass(frozen=True)
class Window:
    """One side of the comparison: the version in force and the window's bounds (UTC,
    ``start`` included, ``end`` not)."""

    version: int
    name: str
    start: datetime
    end: datetime
    sequences: int = 0
    won_deals: int = 0

    @property
    def days(self) -> int:
        return round((self.end - self.start) / _DAY)

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "name": self.name,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "days": self.days,
            "sequences": self.sequences,
            "won_deals": self.won_deals,
        }


Interval = tuple[float, float] | None


@dataclass(frozen=True)
class MetricChange:
    """One figure before and after, each with its 95% interval and n, and the change."""

    key: str
    name: str
    before: float | None
    before_ci: Interval
    before_n: int
    after: float | None
    after_ci: Interval
    after_n: int
    change: float | None
    change_ci: Interval
    verdict: str  # better | worse | more | fewer | no clear change
    enough_data: bool
    method: str

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "before": _round(self.before),
            "before_ci": _round_ci(self.before_ci),
            "before_n": self.before_n,
            "after": _round(self.after),
            "after_ci": _round_ci(self.after_ci),
            "after_n": self.after_n,
            "change": _round(self.change),
            "change_ci": _round_ci(self.change_ci),
            "verdict": self.verdict,
            "enough_data": self.enough_data,
            "method": self.method,
        }


@dataclass(frozen=True)
class Comparison:
    """The two windows and every figure compared; ``between`` lists the versions in force
    between the two (none when the after version directly followed the before)."""

    before: Window
    after: Window
    as_of: datetime
    time_zone: str
    horizon_days: int
    weeks: int
    between: tuple[int, ...]
    swapped: bool  # the versions were given later first
    metrics: list[MetricChange]
    cycle_days_at_most: int | None = None  # the cap on the cycles counted (the module docstring)

    def as_json(self) -> dict[str, Any]:
        """The ``rightturn process compare --json`` contract (:data:`CONTRACT_KEYS`)."""
        return {
            "as_of": self.as_of.isoformat(),
            "time_zone": self.time_zone,
            "horizon_days": self.horizon_days,
            "weeks": self.weeks,
            "between": list(self.between),
            "cycle_days_at_most": self.cycle_days_at_most,
            "before": self.before.as_json(),
            "after": self.after.as_json(),
            "metrics": [m.as_json() for m in self.metrics],
        }


def compare_versions(
    store: Store,
    scope: Scope,
    first: int,
    second: int,
    *,
    as_of: datetime,
    weeks: int = DEFAULT_WEEKS,
    horizon_days: int = HORIZON_DAYS,
) -> Comparison:
    """The weeks before and after a process change, measured on the prospecting of the reps in
    ``scope`` as of ``as_of`` (the module docstring has the rules). ``first`` and ``second``
    are version numbers in either order; :class:`ParseError` when they are the same or
    ``weeks`` is below 1, :class:`NotFound` for an unknown version or a window without data."""
    if first == second:
        raise ParseError(f"version {first} twice: compare two different versions")
    if weeks < 1:
        raise ParseError(f"--weeks {weeks}: give at least 1 week")
    chosen = [find_version(store, first), find_version(store, second)]
    timeline = _timeline(list_versions(store))
    order = {v.version: i for i, v in enumerate(timeline)}
    older, newer = sorted(chosen, key=lambda v: order[v.version])
    horizon = timedelta(days=horizon_days)
    with store.session() as s:
        zone = org_time_zone(s)
        seqs = prospect_sequences(s, scope, as_of=as_of)
        before, after = _windows(
            timeline, older, newer, _data_start(s), as_of, horizon, timedelta(weeks=weeks), zone
        )
        deals = read_deals(s, scope, as_of)
        meetings = _meetings(s, scope, before.start, as_of)
        # A deal won as the before window opens can be no older than the data: cap both sides
        # at that age, or a young org's early wins (short by force) flatter the before side.
        first_deal = s.scalar(select(func.min(Opportunity.created_at)))
        longest = (before.start - first_deal) / _DAY if first_deal is not None else None
        won = {w: _won_days(s, scope, w, longest) for w in (before, after)}
    b, a = (
        _followed(seqs, w, w is before, horizon, deals, meetings, zone) for w in (before, after)
    )
    wb, wa = won[before], won[after]
    before = replace(before, sequences=len(b), won_deals=len(wb))
    after = replace(after, sequences=len(a), won_deals=len(wa))
    metrics = _metrics(b, a, wb, wa)
    cap = None if longest is None else int(longest)
    between = tuple(
        v.version
        for v in timeline
        if order[older.version] < order[v.version] < order[newer.version]
    )
    swapped = order[chosen[0].version] > order[chosen[1].version]
    return Comparison(
        before, after, as_of, zone, horizon_days, weeks, between, swapped, metrics, cap
    )


# --- the windows -------------------------------------------------------------------------------


def _timeline(applied: list[AppliedProcess]) -> list[AppliedProcess]:
    """Every version in the order it came into force (as :func:`~rightturn.process.versions.
    in_force` orders them), the shipped default (0) first."""
    return [default_version(), *sorted(applied, key=lambda v: (v.applied_at, v.version))]


def _windows(
    timeline: list[AppliedProcess],
    older: AppliedProcess,
    newer: AppliedProcess,
    data_start: datetime | None,
    as_of: datetime,
    horizon: timedelta,
    cap: timedelta,
    zone: str,
) -> tuple[Window, Window]:
    """The before and after windows, of one length (see the module docstring)."""
    last_start = as_of - horizon  # a sequence started later is not followed long enough yet
    at = {v.version: i for i, v in enumerate(timeline)}
    older_end = _applied(timeline[at[older.version] + 1])  # the next version: never version 0
    newer_start = _applied(newer)
    following = at[newer.version] + 1
    newer_end = last_start
    if following < len(timeline):
        newer_end = min(_applied(timeline[following]), last_start)
    starts = [t for t in (older.applied_at, data_start) if t is not None]
    older_start = max(starts, default=older_end)
    length = min(older_end - older_start, newer_end - newer_start, cap)
    length = timedelta(days=length // _DAY)
    if newer_end - newer_start < _DAY:
        raise NotFound(_too_soon(newer, as_of, horizon, zone))
    if length < _DAY:
        raise NotFound(
            f"version {older.version} ({older.name}) was in force for less than a day of "
            f"captured prospecting before {_when(older_end, zone)}: there is no before window "
            "to compare with; compare another pair"
        )
    return (
        Window(older.version, older.name, older_end - length, older_end),
        Window(newer.version, newer.name, newer_start, newer_start + length),
    )


def _data_start(session: Session) -> datetime | None:
    """The org's first outbound email or call by a rep: whoever looks, the windows are the
    org's, so a manager and an admin compare the same weeks."""
    return session.scalar(
        select(func.min(Activity.occurred_at)).where(
            Activity.kind.in_(("email", "call")),
            Activity.direction == "outbound",
            Activity.rep_id.is_not(None),
        )
    )


def _applied(version: AppliedProcess) -> datetime:
    """When a version later than another was applied (only version 0 has no time)."""
    assert version.applied_at is not None, "version 0 follows no version"
    return version.applied_at


def _when(at: datetime, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def _too_soon(newer: AppliedProcess, as_of: datetime, horizon: timedelta, zone: str) -> str:
    ready = _applied(newer) + _DAY + horizon
    return (
        f"no after window yet: version {newer.version} ({newer.name}) was applied "
        f"{_when(_applied(newer), zone)} ({zone}), and each prospecting sequence is followed "
        f"for {horizon.days} days from its first touch, so a first day of prospecting under it "
        f"can be measured from {_when(ready, zone)} (as of {_when(as_of, zone)} it cannot yet): "
        "wait until then, or measure as of a later date"
    )


def _empty(w: Window, before: bool, zone: str, horizon_days: int) -> str:
    side = "before" if before else "after"
    span = f"{_when(w.start, zone)} to {_when(w.end, zone)} ({zone})"
    fix = (
        "capture that period's email and calls (`rightturn capture`), or compare another pair"
        if before
        else f"wait for prospecting under it (each sequence is followed for {horizon_days} days), "
        "or measure as of a later date"
    )
    return (
        f"no prospecting sequence started in the {side} window, version {w.version} "
        f"({w.name}), {span}: {fix}"
    )


# --- what each sequence led to -----------------------------------------------------------------


def _followed(
    seqs: list[Sequence],
    w: Window,
    is_before: bool,
    horizon: timedelta,
    deals: Deals,
    meetings: _Times,
    zone: str,
) -> list[_Followed]:
    """What each sequence started in the window led to; :class:`NotFound` when none started."""
    found = [_follow(q, horizon, deals, meetings) for q in seqs if w.start <= q.started_at < w.end]
    if not found:
        raise NotFound(_empty(w, is_before, zone, horizon.days))
    return found


@dataclass(frozen=True)
class _Followed:
    touches: int
    responded: bool
    meeting: bool
    opportunity: bool


_Times = dict[tuple[str, str], list[datetime]]


def _follow(q: Sequence, horizon: timedelta, deals: Deals, meetings: _Times) -> _Followed:
    """What one sequence led to within ``horizon`` of its first touch."""
    end = q.started_at + horizon

    def within(times: list[datetime]) -> bool:
        return any(q.started_at <= t <= end for t in times)

    # A deal that ended the sequence is among the deals read, so it is not looked at apart.
    return _Followed(
        touches=sum(1 for at, _ in q.touches if at <= end),
        responded=q.ended_by in _RESPONDED and q.ended_at is not None and q.ended_at <= end,
        meeting=within(meetings.get((q.rep_id, q.contact_id), [])),
        opportunity=within(
            [created for created, _ in deals.spans(q.rep_id, q.contact_id, q.account_id)]
        ),
    )


def _meetings(session: Session, scope: Scope, since: datetime, as_of: datetime) -> _Times:
    """Meetings of each rep with each contact: held (a meeting captured), or accepted by the
    buyer (a buyer action)."""
    found: _Times = defaultdict(list)
    for table, kind in ((Activity, "meeting"), (BuyerAction, "meeting_accepted")):
        rows = session.execute(
            select(table.rep_id, table.contact_id, table.occurred_at).where(
                table.kind == kind,
                table.rep_id.is_not(None),
                table.contact_id.is_not(None),
                table.occurred_at >= since,
                table.occurred_at <= as_of,
                scope.reps(table.rep_id),
            )
        )
        for rep, contact, at in rows:
            found[(rep, contact)].append(at)
    return found


def _won_days(session: Session, scope: Scope, w: Window, longest: float | None) -> list[float]:
    """Days from creation to win of the deals won in the window, up to ``longest`` days."""
    rows = session.execute(
        select(Opportunity.created_at, Opportunity.closed_at).where(
            Opportunity.status == "won",
            Opportunity.created_at.is_not(None),
            Opportunity.closed_at >= w.start,
            Opportunity.closed_at < w.end,
            scope.reps(Opportunity.owner_rep_id),
        )
    )
    days = [(closed - created) / _DAY for created, closed in rows]
    return [d for d in days if longest is None or d <= longest]


# --- the figures -------------------------------------------------------------------------------


def _metrics(
    b: list[_Followed], a: list[_Followed], won_before: list[float], won_after: list[float]
) -> list[MetricChange]:
    """Every figure of :data:`METRIC_KEYS`, before (``b``) against after (``a``)."""
    return [
        _means("touches_per_prospect", [f.touches for f in b], [f.touches for f in a]),
        _shares("prospect_response_rate", [f.responded for f in b], [f.responded for f in a]),
        _shares("prospect_meeting_rate", [f.meeting for f in b], [f.meeting for f in a]),
        _shares(
            "prospect_opportunity_rate", [f.opportunity for f in b], [f.opportunity for f in a]
        ),
        _medians("cycle_days_won", won_before, won_after),
    ]


def _verdict(ci: Interval, up: str, down: str) -> str:
    if ci is None or ci[0] <= 0 <= ci[1]:
        return "no clear change"
    return up if ci[0] > 0 else down


def _change(
    key: str,
    values: tuple[float | None, float | None],
    cis: tuple[Interval, Interval, Interval],
    ns: tuple[int, int],
    words: tuple[str, str],
    least: int,
    method: str,
) -> MetricChange:
    before, after = values
    change = None if before is None or after is None else after - before
    return MetricChange(
        key=key,
        name=FIGURES[key].name,
        before=before,
        before_ci=cis[0],
        before_n=ns[0],
        after=after,
        after_ci=cis[1],
        after_n=ns[1],
        change=change,
        change_ci=cis[2],
        verdict=_verdict(cis[2], *words),
        enough_data=min(ns) >= least,
        method=method,
    )


def _mean(values: list[int] | list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _means(key: str, before: list[int], after: list[int]) -> MetricChange:
    return _change(
        key,
        (_mean(before), _mean(after)),
        (mean_t(before), mean_t(after), welch(before, after)),
        (len(before), len(after)),
        ("more", "fewer"),
        MIN_SEQUENCES,
        "mean with a Student t interval; change: Welch t",
    )


def _shares(key: str, before: list[bool], after: list[bool]) -> MetricChange:
    kb, ka, nb, na = sum(before), sum(after), len(before), len(after)
    return _change(
        key,
        (kb / nb if nb else None, ka / na if na else None),
        (wilson(kb, nb), wilson(ka, na), newcombe(kb, nb, ka, na)),
        (nb, na),
        ("better", "worse"),
        MIN_SEQUENCES,
        "share with a Wilson interval; change: Newcombe (hybrid score)",
    )


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered, mid = sorted(values), len(values) // 2
    return ordered[mid] if len(values) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _medians(key: str, before: list[float], after: list[float]) -> MetricChange:
    return _change(
        key,
        (_median(before), _median(after)),
        (
            bootstrap_median(before),
            bootstrap_median(after),
            bootstrap_median_difference(before, after),
        ),
        (len(before), len(after)),
        ("worse", "better"),  # a longer cycle is worse
        MIN_WON,
        "median with a bootstrap percentile interval (2,000 resamples); change: the same",
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _round_ci(ci: Interval) -> list[float] | None:
    return None if ci is None else [round(ci[0], 4), round(ci[1], 4)]
