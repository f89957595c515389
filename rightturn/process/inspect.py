"""Plan against actual: how each prospecting sequence followed the cadence that applied to it.

Each sequence (:func:`~rightturn.process.sequences.prospect_sequences`) is checked against the
process's prospect cadence for its account's segment:

* **planned**: the touches the cadence had made due by ``as_of`` (for a sequence that ended, by
  its end: a reply on day 3 makes only what was due by day 3 planned);
* **done**: the outbound touches made;
* **on time**: touch *i* made no later than a day (:data:`GRACE_DAYS`) after its due day;
* **channel followed**: touch *i* used the channel the plan named for touch *i*;
* **exit violations**: outbound touches after the buyer responded that were not the rep's answer;
* **abandoned before touch 3**: the sequence got no response, fewer than 3 touches, and no touch
  for :data:`STALL_DAYS` days, although its plan had reached touch 3.

Roll-ups are overall and per rep, team or product line (a rep's product line: the product series
they sell most, from their opportunities), with the spread between reps (std, p10, p90 of their
actual touches per prospect), since a mean hides the reps who stop after one email.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from rightturn.crm.model import Account, Contact, Opportunity, Product, Rep, Team
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.errors import ParseError
from rightturn.process.definition import Cadence, Process
from rightturn.process.sequences import Sequence, prospect_sequences
from rightturn.process.versions import process_in_force

__all__ = [
    "BY",
    "GRACE_DAYS",
    "STALL_DAYS",
    "Inspection",
    "Rollup",
    "SequenceCheck",
    "check_sequences",
    "inspect_by",
    "inspect_process",
    "summarize",
]

BY = ("rep", "team", "product")
GRACE_DAYS = 1.0
STALL_DAYS = 14
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class SequenceCheck:
    """One sequence against its plan."""

    sequence: Sequence
    cadence: str | None
    planned: int
    done: int
    on_time: int  # touches made within their due day + grace (of those the plan had)
    checked: int  # touches the plan had a step for
    channel_followed: int
    violations: int
    abandoned_before_3: bool
    plan_reached_3: bool
    gaps_days: tuple[float, ...]

    @property
    def responded(self) -> bool:
        return self.sequence.ended_by in ("buyer reply", "meeting booked")


@dataclass(frozen=True)
class Rollup:
    """Plan against actual over a group of sequences (all of them, a rep's, a team's...)."""

    key: str
    name: str
    sequences: int
    planned_touches_avg: float | None
    actual_touches_avg: float | None
    abandoned_before_3_share: float | None
    median_days_between_touches: float | None
    on_time_share: float | None
    channel_followed_share: float | None
    responded_share: float | None
    exit_violations: int
    reps: int
    rep_spread: dict[str, float | None] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The roll-up as the JSON contract's keys."""
        return {
            "key": self.key,
            "name": self.name,
            "planned_touches_avg": self.planned_touches_avg,
            "actual_touches_avg": self.actual_touches_avg,
            "abandoned_before_3_share": self.abandoned_before_3_share,
            "median_days_between_touches": self.median_days_between_touches,
            "on_time_share": self.on_time_share,
            "channel_followed_share": self.channel_followed_share,
            "responded_share": self.responded_share,
            "exit_violations": self.exit_violations,
            "sequences": self.sequences,
            "reps": self.reps,
            "rep_spread": self.rep_spread,
        }


@dataclass(frozen=True)
class Inspection:
    """The whole inspection: the process version, the overall roll-up and one per group."""

    process_version: int
    process_name: str
    as_of: datetime
    by_what: str
    overall: Rollup
    by: list[Rollup]

    def as_json(self) -> dict[str, Any]:
        """The ``rightturn inspect --json`` contract."""
        top = self.overall.as_json()
        del top["key"], top["name"]
        return {
            "process_version": self.process_version,
            "process_name": self.process_name,
            "as_of": self.as_of.isoformat(),
            "by_what": self.by_what,
            **top,
            "by": [r.as_json() for r in self.by],
        }


def check_sequence(seq: Sequence, cadence: Cadence | None, as_of: datetime) -> SequenceCheck:
    """One sequence against ``cadence`` (None: no plan applied; only what was done counts)."""
    end = seq.ended_at or as_of
    elapsed = (end - seq.started_at) / _DAY
    done = len(seq.touches)
    last = seq.touches[-1][0] if seq.touches else seq.started_at
    planned = cadence.planned_by(elapsed) if cadence else 0
    due = cadence.due_days if cadence else []
    on_time = followed = 0
    for i, (at, channel) in enumerate(seq.touches[: len(due)]):
        on_time += (at - seq.started_at) / _DAY <= due[i] + GRACE_DAYS
        followed += cadence is not None and cadence.touches[i].channel == channel
    stalled = seq.ended_by is None and (as_of - last) / _DAY >= STALL_DAYS
    reached = planned >= 3
    gaps = tuple((b[0] - a[0]) / _DAY for a, b in zip(seq.touches, seq.touches[1:], strict=False))
    return SequenceCheck(
        sequence=seq,
        cadence=cadence.name if cadence else None,
        planned=planned,
        done=done,
        on_time=on_time,
        checked=min(done, len(due)),
        channel_followed=followed,
        violations=len(seq.after_exit),
        abandoned_before_3=reached and stalled and done < 3,
        plan_reached_3=reached,
        gaps_days=gaps,
    )


def check_sequences(
    session: Session,
    scope: Scope,
    process: Process,
    *,
    as_of: datetime,
    rep_id: str | None = None,
) -> list[SequenceCheck]:
    """Every prospecting sequence in scope, checked against the cadence for its segment."""
    seqs = prospect_sequences(session, scope, as_of=as_of, rep_id=rep_id)
    # Every account with a segment in one read: cheaper than a long IN list at 1,000 reps.
    rows = session.execute(
        select(Account.account_id, Account.segment).where(Account.segment.is_not(None))
    )
    segments: dict[str, str | None] = {a: seg for a, seg in rows}
    cadences: dict[str | None, Cadence | None] = {}
    checks = []
    for seq in seqs:
        segment = segments.get(seq.account_id or "")
        if segment not in cadences:
            cadences[segment] = process.cadence_for("prospect", segment=segment)
        checks.append(check_sequence(seq, cadences[segment], as_of))
    return checks


def _share(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def _mean(values: pd.Series) -> float | None:
    return round(float(values.mean()), 3) if len(values) else None


def _spread(per_rep: pd.Series) -> dict[str, float | None]:
    """How much reps differ: std and p10/p90 of their actual touches per prospect."""
    if per_rep.empty:
        return {"std": None, "p10": None, "p90": None, "min": None, "max": None}
    values = per_rep.to_numpy(dtype=float)
    return {
        "std": round(float(np.std(values, ddof=1)), 3) if len(values) > 1 else 0.0,
        "p10": round(float(np.percentile(values, 10)), 3),
        "p90": round(float(np.percentile(values, 90)), 3),
        "min": round(float(values.min()), 3),
        "max": round(float(values.max()), 3),
    }


_COLUMNS = [
    "rep_id", "planned", "done", "on_time", "checked", "followed", "violations", "abandoned",
    "reached", "responded", "gaps",
]  # fmt: skip


def _frame(checks: list[SequenceCheck]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "rep_id": c.sequence.rep_id,
                "planned": c.planned,
                "done": c.done,
                "on_time": c.on_time,
                "checked": c.checked,
                "followed": c.channel_followed,
                "violations": c.violations,
                "abandoned": c.abandoned_before_3,
                "reached": c.plan_reached_3,
                "responded": c.responded,
                "gaps": c.gaps_days,
            }
            for c in checks
        ],
        columns=_COLUMNS,
    )


def rollup(key: str, name: str, frame: pd.DataFrame) -> Rollup:
    """Plan against actual over the sequences in ``frame`` (one row per sequence)."""
    gaps = [g for row in frame["gaps"] for g in row]
    per_rep = frame.groupby("rep_id")["done"].mean()
    return Rollup(
        key=key,
        name=name,
        sequences=len(frame),
        planned_touches_avg=_mean(frame["planned"]),
        actual_touches_avg=_mean(frame["done"]),
        abandoned_before_3_share=_share(frame["abandoned"].sum(), frame["reached"].sum()),
        median_days_between_touches=round(float(np.median(gaps)), 2) if gaps else None,
        on_time_share=_share(frame["on_time"].sum(), frame["checked"].sum()),
        channel_followed_share=_share(frame["followed"].sum(), frame["checked"].sum()),
        responded_share=_share(frame["responded"].sum(), len(frame)),
        exit_violations=int(frame["violations"].sum()),
        reps=int(per_rep.size),
        rep_spread=_spread(per_rep),
    )


def _groups(session: Session, by: str, rep_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Each rep's group for ``by``: rep id -> (group key, group name)."""
    reps = session.execute(
        select(Rep.rep_id, Rep.name, Rep.team_id, Team.name)
        .outerjoin(Team, Team.team_id == Rep.team_id)
        .where(Rep.rep_id.in_(rep_ids))
    ).all()
    if by == "rep":
        return {r: (r, name) for r, name, _, _ in reps}
    if by == "team":
        return {r: (t or "", tname or "(no team)") for r, _, t, tname in reps}
    lines = session.execute(
        select(Opportunity.owner_rep_id, Opportunity.product, Product.series)
        .outerjoin(Product, Product.name == Opportunity.product)
        .where(Opportunity.owner_rep_id.in_(rep_ids), Opportunity.product.is_not(None))
    ).all()
    count: dict[str, Counter[str]] = {}
    for rep, product, series in lines:
        count.setdefault(rep, Counter())[series or product] += 1
    out = {}
    for r, *_ in reps:
        line = count[r].most_common(1)[0][0] if r in count else ""
        out[r] = (line, line or "(no product line)")
    return out


def inspect_process(
    store: Store, scope: Scope, *, as_of: datetime, by: Literal["rep", "team", "product"] = "rep"
) -> Inspection:
    """Plan against actual for every prospecting sequence in ``scope`` up to ``as_of``, overall
    and per rep, team or product line."""
    return inspect_by(store, scope, as_of=as_of, by=(by,))[by]


def inspect_by(
    store: Store, scope: Scope, *, as_of: datetime, by: tuple[str, ...] = BY
) -> dict[str, Inspection]:
    """:func:`inspect_process` for several groupings from one read of the sequences."""
    unknown = [b for b in by if b not in BY]
    if unknown:
        raise ParseError(f"--by {unknown[0]!r}: use one of {', '.join(BY)}")
    version, process = process_in_force(store, as_of)
    with store.session() as s:
        frame = _frame(check_sequences(s, scope, process, as_of=as_of))
        reps = sorted(set(frame["rep_id"]))
        groups = {b: _groups(s, b, reps) for b in by}
    overall = rollup("", "All prospects", frame)
    found = {}
    for b in by:
        keys = frame["rep_id"].map(lambda r, g=groups[b]: g.get(r, ("", ""))[0])
        names = dict(groups[b].values())
        rows = [rollup(key, names.get(key, key), part) for key, part in frame.groupby(keys)]
        rows.sort(key=lambda r: (r.name.lower(), r.key))
        found[b] = Inspection(version, process.name, as_of, b, overall, rows)
    return found


def summarize(checks: list[SequenceCheck], key: str = "", name: str = "") -> Rollup:
    """The roll-up of some checked sequences (one rep's, for a drill-down)."""
    return rollup(key, name, _frame(checks))


def contact_names(session: Session, checks: list[SequenceCheck]) -> dict[str, tuple[str, str]]:
    """Contact id -> (contact name, account name) for a drill-down list."""
    ids = sorted({c.sequence.contact_id for c in checks})
    if not ids:
        return {}
    rows = session.execute(
        select(Contact.contact_id, Contact.name, Account.name)
        .outerjoin(Account, Account.account_id == Contact.account_id)
        .where(Contact.contact_id.in_(ids))
    )
    return {cid: (name or cid, account or "") for cid, name, account in rows}
