"""A rep's coaching scorecard: where they differ most from the top group, on the practices that
matter for buyer responses — "a Fitbit plus a personal trainer" (seed 002).

For each practice a touch either follows or not (:data:`PRACTICES`: brief email, issue-focused,
a question asked, personal, sent in the morning), the scorecard sets side by side the share of
the rep's touches that follow it, their team's and the **top group's** (the top fifth of reps by
won value, as the Pareto page names them: :func:`~rightturn.analytics.performers.pareto`), and
how much the practice matters: its effect on the response rate **within rep** across the org
(Mantel-Haenszel, :func:`~rightturn.effort.stats.practice_effect`: what a rep gets by taking up
the practice, not what good reps who happen to use it get), with its pooled effect beside it and
a flag where the two disagree.

A practice's **weight** for the rep is effect × gap: the responses per 100 touches the rep would
gain by following it as often as the top group does (the within-rep difference times the gap in
share). Practices are ranked by it; one whose within-rep effect is not clear (its interval holds
0) is shown but never ranked first. Every share and rate comes with its n.

Effort against result sits beside it: touches, call and meeting hours, buyer responses, meetings,
deals won and their value, and the return per 100 touches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from rightturn.analytics.intervals import wilson
from rightturn.analytics.performers import pareto
from rightturn.analytics.snapshot import load_snapshot
from rightturn.crm.model import Activity, Opportunity, Rep, Team
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.effort.report import scoped_touches
from rightturn.effort.stats import PracticeEffect, practice_effect
from rightturn.effort.touches import Touch
from rightturn.errors import NotFound

__all__ = ["PRACTICES", "Practice", "PracticeGap", "Scorecard", "scorecard", "team_scorecards"]


@dataclass(frozen=True)
class Practice:
    """A practice a touch follows or not; ``applies`` says which touches can (emails only...)."""

    key: str
    name: str
    follows: Callable[[Touch], bool]
    applies: Callable[[Touch], bool]
    noun: str  # what the share counts ("emails") and what following it says of them
    predicate: str


def _email(t: Touch) -> bool:
    return t.channel == "email" and t.words is not None


PRACTICES = (
    Practice("brief", "Brief emails (under 150 words)", lambda t: (t.words or 0) < 150, _email,
             "emails", "are under 150 words"),
    Practice("issue", "Issue-focused emails", lambda t: t.focus == "issue", _email,
             "emails", "are about the buyer's issue"),
    Practice("question", "Emails that ask a question", lambda t: (t.questions or 0) > 0, _email,
             "emails", "ask a question"),
    Practice("personal", "Personal emails", lambda t: bool(t.personal), _email,
             "emails", "name the buyer or their company beyond the greeting"),
    Practice("morning", "Sent in the morning (before noon)", lambda t: 6 <= t.hour < 12,
             lambda t: True, "touches", "go out before noon"),
)  # fmt: skip


@dataclass(frozen=True)
class Share:
    """``k`` of ``n`` touches follow the practice (share None when n is 0)."""

    k: int
    n: int

    @property
    def share(self) -> float | None:
        return self.k / self.n if self.n else None


@dataclass(frozen=True)
class PracticeGap:
    """One practice on the scorecard: the shares, its effect and the rep's weight."""

    key: str
    name: str
    rep: Share
    team: Share
    top: Share
    effect: PracticeEffect
    gain_per_100: float | None  # responses per 100 touches, matching the top group's share
    clear: bool  # the within-rep interval excludes 0
    sentence: str

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        for side in ("rep", "team", "top"):
            out[side]["share"] = getattr(self, side).share
        return out


@dataclass(frozen=True)
class Result:
    """Effort against result for one rep or group over the period."""

    touches: int
    responses: int
    rate: float | None
    ci: tuple[float, float] | None
    call_hours: float
    meeting_hours: float
    meetings: int
    won_deals: int
    won_value: float

    @property
    def responses_per_100(self) -> float | None:
        return 100 * self.responses / self.touches if self.touches else None

    @property
    def won_per_100(self) -> float | None:
        return 100 * self.won_value / self.touches if self.touches else None


@dataclass(frozen=True)
class Scorecard:
    """A rep's scorecard over ``since``..``until`` (see the module docstring)."""

    rep_id: str
    name: str
    team: str | None
    since: datetime | None
    until: datetime
    in_top_group: bool
    top_group: int  # reps in it
    result: Result
    team_result: Result
    top_result: Result
    gaps: list[PracticeGap] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        def res(r: Result) -> dict[str, Any]:
            return {
                **asdict(r),
                "responses_per_100": r.responses_per_100,
                "won_per_100": r.won_per_100,
            }

        return {
            "rep_id": self.rep_id,
            "name": self.name,
            "team": self.team,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat(),
            "in_top_group": self.in_top_group,
            "top_group": self.top_group,
            "result": res(self.result),
            "team_result": res(self.team_result),
            "top_result": res(self.top_result),
            "gaps": [g.as_json() for g in self.gaps],
        }


def _share(touches: list[Touch], practice: Practice) -> Share:
    used = [t for t in touches if practice.applies(t)]
    return Share(sum(practice.follows(t) for t in used), len(used))


def _effect(touches: list[Touch], practice: Practice) -> PracticeEffect:
    """Following the practice (B) against not (A), per rep, over the org's touches."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for t in touches:
        if not practice.applies(t):
            continue
        c = counts[t.rep_id]
        side = 2 if practice.follows(t) else 0
        c[side] += 1
        c[side + 1] += t.responded
    return practice_effect([(rep, c[0], c[1], c[2], c[3]) for rep, c in sorted(counts.items())])


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _sentence(practice: Practice, rep: Share, top: Share, effect: PracticeEffect) -> str:
    rate_b = effect.responses_b / effect.touches_b if effect.touches_b else None
    rate_a = effect.responses_a / effect.touches_a if effect.touches_a else None
    within = effect.within_rep_difference
    said = (
        f"{_pct(rep.share)} of your {practice.noun} {practice.predicate} (n={rep.n}); the top "
        f"group's {_pct(top.share)} (n={top.n}). Across the org such {practice.noun} earn "
        f"{_pct(rate_b)} responses against {_pct(rate_a)} for the others "
        f"(n={effect.touches_b} vs {effect.touches_a})"
    )
    if within is not None:
        said += f"; within each rep's own touches {within * 100:+.1f} points"
    if effect.disagree:
        said += " — the pooled and within-rep figures disagree: good reps use it more"
    return said + "."


def _result(
    mine: list[Touch], reps: set[str], hours: dict[str, tuple[float, float, int]],
    won: dict[str, tuple[int, float]],
) -> Result:  # fmt: skip
    """The result of ``reps``, whose touches are ``mine``."""
    k, n = sum(t.responded for t in mine), len(mine)
    return Result(
        touches=n,
        responses=k,
        rate=k / n if n else None,
        ci=wilson(k, n),
        call_hours=round(sum(hours.get(r, (0, 0, 0))[0] for r in reps), 1),
        meeting_hours=round(sum(hours.get(r, (0, 0, 0))[1] for r in reps), 1),
        meetings=sum(hours.get(r, (0, 0, 0))[2] for r in reps),
        won_deals=sum(won.get(r, (0, 0.0))[0] for r in reps),
        won_value=sum(won.get(r, (0, 0.0))[1] for r in reps),
    )


def _hours_and_wins(
    store: Store, since: datetime | None, until: datetime
) -> tuple[dict[str, tuple[float, float, int]], dict[str, tuple[int, float]]]:
    """Per rep: (call hours, meeting hours, meetings) and (deals won, won value) in the period."""
    with store.session() as s:
        when = [Activity.occurred_at <= until, *([Activity.occurred_at >= since] if since else [])]
        calls: dict[str | None, int | None] = dict(
            s.execute(
                select(Activity.rep_id, func.coalesce(func.sum(Activity.duration_s), 0))
                .where(Activity.kind == "call", Activity.rep_id.is_not(None), *when)
                .group_by(Activity.rep_id)
            )
            .tuples()
            .all()
        )
        meetings = {
            rep: (int(seconds or 0), int(n))
            for rep, seconds, n in s.execute(
                select(Activity.rep_id, func.sum(Activity.duration_s), func.count())
                .where(
                    Activity.kind == "meeting",
                    Activity.direction != "internal",
                    Activity.rep_id.is_not(None),
                    *when,
                )
                .group_by(Activity.rep_id)
            )
        }
        closed = [Opportunity.closed_at <= until]
        if since:
            closed.append(Opportunity.closed_at >= since)
        won: dict[str, tuple[int, float]] = {
            rep: (int(n), float(value or 0))
            for rep, n, value in s.execute(
                select(Opportunity.owner_rep_id, func.count(), func.sum(Opportunity.amount))
                .where(Opportunity.status == "won", *closed)
                .group_by(Opportunity.owner_rep_id)
            )
        }
    reps: set[str] = {r for r in (*calls, *meetings) if r}
    hours = {
        r: (
            int(calls.get(r) or 0) / 3600,
            meetings.get(r, (0, 0))[0] / 3600,
            meetings.get(r, (0, 0))[1],
        )
        for r in reps
    }
    return hours, won


@dataclass
class _Org:
    """What every rep's card reads, computed once for the org: its touches, who is in which
    team and in the top group, each practice's effect, and hours and wins per rep."""

    since: datetime | None
    until: datetime
    touches: list[Touch]
    reps: dict[str, tuple[str, str | None, str | None]]  # rep -> (name, team id, team name)
    top: set[str]
    effects: dict[str, PracticeEffect]
    hours: dict[str, tuple[float, float, int]]
    won: dict[str, tuple[int, float]]
    by_rep: dict[str, list[Touch]] = field(default_factory=dict)

    def of(self, reps: set[str]) -> list[Touch]:
        """The touches of ``reps``, from the touches grouped once by rep."""
        return [t for r in reps for t in self.by_rep.get(r, [])]


def _org(store: Store, since: datetime | None, until: datetime) -> _Org:
    with store.session() as s:
        reps = {
            r: (name or r, team, team_name)
            for r, name, team, team_name in s.execute(
                select(Rep.rep_id, Rep.name, Rep.team_id, Team.name).outerjoin(
                    Team, Team.team_id == Rep.team_id
                )
            )
        }
        top = set(pareto(s, load_snapshot(s, Scope.everything(), until))["top_rep_ids"])
    touches = scoped_touches(store, Scope.everything(), since=since, until=until)
    effects = {p.key: _effect(touches, p) for p in PRACTICES}
    hours, won = _hours_and_wins(store, since, until)
    by_rep: dict[str, list[Touch]] = defaultdict(list)
    for t in touches:
        by_rep[t.rep_id].append(t)
    return _Org(since, until, touches, reps, top, effects, hours, won, dict(by_rep))


def _card(org: _Org, rep_id: str) -> Scorecard:
    name, team_id, team_name = org.reps[rep_id]
    # A rep without a team is compared with the other reps without one.
    teammates = {r for r, (_, team, _) in org.reps.items() if team == team_id}
    mine, team, best = org.of({rep_id}), org.of(teammates), org.of(org.top)
    return Scorecard(
        rep_id,
        name,
        team_name,
        org.since,
        org.until,
        rep_id in org.top,
        len(org.top),
        _result(mine, {rep_id}, org.hours, org.won),
        _result(team, teammates, org.hours, org.won),
        _result(best, org.top, org.hours, org.won),
        _gaps(mine, team, best, org.effects),
    )


def scorecard(
    store: Store, rep_id: str, *, scope: Scope, since: datetime | None, until: datetime
) -> Scorecard:
    """The scorecard of ``rep_id`` (in ``scope``, else :class:`NotFound`) over the period.

    The team, the top group and the practices' effects are read over the whole org: the rep
    sees them as aggregates only, never another rep's touches."""
    return team_scorecards(store, [rep_id], scope=scope, since=since, until=until)[0]


def team_scorecards(
    store: Store, rep_ids: list[str], *, scope: Scope, since: datetime | None, until: datetime
) -> list[Scorecard]:
    """The scorecards of ``rep_ids`` (each in ``scope``, else :class:`NotFound`), in their
    order: the org is read once for all of them (a scorecard's seconds go to reading it)."""
    for rep_id in rep_ids:
        if not scope.sees_rep(rep_id):
            raise NotFound(f"rep {rep_id!r} is not one you can see")
    org = _org(store, since, until)
    for rep_id in rep_ids:
        if rep_id not in org.reps:
            raise NotFound(f"rep {rep_id!r} does not exist; `rightturn reps` lists them")
    return [_card(org, rep_id) for rep_id in rep_ids]


def _gaps(
    mine: list[Touch], team: list[Touch], best: list[Touch], effects: dict[str, PracticeEffect]
) -> list[PracticeGap]:
    """The rep's practices against their team's and the top group's, the biggest gain first."""
    gaps = []
    for p in PRACTICES:
        effect = effects[p.key]
        rep_share, top_share = _share(mine, p), _share(best, p)
        within = effect.within_rep_difference
        interval = effect.within_rep_interval
        clear = interval is not None and (interval[0] > 0 or interval[1] < 0)
        gain = (
            100 * within * (top_share.share - rep_share.share)
            if within is not None and rep_share.share is not None and top_share.share is not None
            else None
        )
        gaps.append(
            PracticeGap(
                p.key,
                p.name,
                rep_share,
                _share(team, p),
                top_share,
                effect,
                gain,
                clear,
                _sentence(p, rep_share, top_share, effect),
            )
        )
    gaps.sort(key=lambda g: (not g.clear, -(g.gain_per_100 or 0.0)))
    return gaps
