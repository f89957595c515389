"""Deal plays: where each open deal's stage cadence stands, recovered from captured activity.

A cadence can apply to a deal stage (``applies_to: {stage: Proposal}``, chosen by
:meth:`~rightturn.process.definition.Process.cadence_for` with the account's segment and the
deal's product). The rule, like :mod:`rightturn.process.sequences`, reads only what was captured:

* The **play starts** when the deal entered its current stage (its last entry in the stage
  history by ``as_of``; a deal with no history has been in it since it was opened).
* A **touch** is an outbound activity of the rep filed on the deal (any channel: an email, a
  call, a meeting) from the start of the (UTC) day of the start up to ``as_of`` — a proposal is
  often sent just before the deal is moved to Proposal in the CRM; touches are matched to the
  plan in order, so the n-th touch done is the plan's n-th, whatever its channel.
* It **ends** early at the first event since the start that the cadence's ``exit_on`` names:
  ``"buyer reply"`` — a reply or call-back on the deal, or an inbound email or call filed on it;
  ``"meeting booked"`` — an accepted meeting on the deal, or a meeting filed on it;
  ``"disposition"`` — the rep's disposition on the deal. (``bounce`` and ``opt-out`` are not
  captured on deals, so they never end one.) Touches after the end do not count.
* The **next touch** is due on the plan's day (the start + its
  :attr:`~rightturn.process.definition.Cadence.due_days`), or its wait after the last touch
  when that is later: a late touch does not make the next one due at once.

Four set-based reads over the rep's candidate deals (names, outbound activity, buyer responses,
dispositions), so a rep with hundreds of open deals costs four queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from rightturn.analytics.snapshot import Snapshot
from rightturn.crm.model import Activity, BuyerAction, Disposition, Opportunity
from rightturn.crm.store import chunks
from rightturn.process.definition import Cadence, Process
from rightturn.process.sequences import RESPONSE_EXITS

__all__ = ["DealPlay", "deal_plays"]


@dataclass(frozen=True)
class DealPlay:
    """The cadence of one open deal's current stage, and what the rep did of it."""

    opportunity_id: str
    name: str | None
    account_id: str | None
    stage: str
    cadence: Cadence
    started_at: datetime  # when the deal entered the stage
    touches: tuple[tuple[datetime, str], ...]  # (when, kind) oldest first, before any end
    ended_by: str | None  # "buyer reply" | "meeting booked" | "disposition" | None
    ended_at: datetime | None

    @property
    def running(self) -> bool:
        """Not ended by an exit rule, and touches of the plan left."""
        return self.ended_by is None and len(self.touches) < len(self.cadence.touches)

    def next_due(self) -> date | None:
        """The day the next touch is due (see the module docstring), None when not running."""
        if not self.running:
            return None
        done = len(self.touches)
        planned = self.started_at + timedelta(days=self.cadence.due_days[done])
        if self.touches:
            waited = self.touches[-1][0] + timedelta(days=self.cadence.touches[done].wait_days)
            planned = max(planned, waited)
        return planned.date()


def deal_plays(session: Session, snap: Snapshot, rep_id: str, process: Process) -> list[DealPlay]:
    """The plays of ``rep_id``'s open deals in ``snap`` (as of its ``as_of``) whose stage has a
    cadence in ``process``, ordered by deal id."""
    starts = _starts(snap, rep_id, process)
    if not starts:
        return []
    as_of = snap.as_of
    since = min(_day_start(start) for start, _ in starts.values())
    ids = sorted(starts)
    names: dict[str, str | None] = {}
    touches: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    exits: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for chunk in chunks(ids):
        names.update(
            session.execute(
                select(Opportunity.opportunity_id, Opportunity.name).where(
                    Opportunity.opportunity_id.in_(chunk)
                )
            )
            .tuples()
            .all()
        )
        for oid, at, kind, direction in session.execute(
            select(
                Activity.opportunity_id, Activity.occurred_at, Activity.kind, Activity.direction
            ).where(
                Activity.opportunity_id.in_(chunk),
                Activity.occurred_at >= since,
                Activity.occurred_at <= as_of,
                Activity.direction != "internal",
                # The rep's own outbound; anyone's inbound or meeting on the deal is the buyer's.
                (Activity.rep_id == rep_id) | (Activity.direction == "inbound"),
            )
        ):
            if kind == "meeting":
                exits[oid].append((at, "meeting booked"))
            elif direction == "inbound":
                exits[oid].append((at, "buyer reply"))
            if direction == "outbound":  # any channel is a touch; the reason compares it
                touches[oid].append((at, kind))
        for oid, at, kind in session.execute(
            select(BuyerAction.opportunity_id, BuyerAction.occurred_at, BuyerAction.kind).where(
                BuyerAction.opportunity_id.in_(chunk),
                BuyerAction.kind.in_(sorted(RESPONSE_EXITS)),
                BuyerAction.occurred_at >= since,
                BuyerAction.occurred_at <= as_of,
            )
        ):
            exits[oid].append((at, RESPONSE_EXITS[kind]))
        for oid, at in session.execute(
            select(Disposition.opportunity_id, Disposition.decided_at).where(
                Disposition.opportunity_id.in_(chunk),
                Disposition.rep_id == rep_id,
                Disposition.decided_at >= since,
                Disposition.decided_at <= as_of,
            )
        ):
            exits[oid].append((at, "disposition"))
    return [_play(oid, names.get(oid), starts[oid], touches[oid], exits[oid]) for oid in ids]


def _play(
    oid: str,
    name: str | None,
    start: tuple[datetime, tuple[str | None, str, Cadence]],
    touches: list[tuple[datetime, str]],
    exits: list[tuple[datetime, str]],
) -> DealPlay:
    began, (account_id, stage, cadence) = start
    ends = sorted(e for e in exits if e[0] >= began and e[1] in cadence.exit_on)
    ended_at, ended_by = ends[0] if ends else (None, None)
    counted = _day_start(began)
    done = sorted(t for t in touches if t[0] >= counted and (ended_at is None or t[0] < ended_at))
    return DealPlay(
        oid,
        name,
        account_id,
        stage,
        cadence,
        began,
        tuple(done),
        ended_by,
        ended_at,
    )


def _starts(
    snap: Snapshot, rep_id: str, process: Process
) -> dict[str, tuple[datetime, tuple[str | None, str, Cadence]]]:
    """Each of the rep's open deals whose stage has a cadence: when it entered the stage, its
    account, the stage and the cadence."""
    deals = snap.open[snap.open["owner_rep_id"] == rep_id]
    if deals.empty:
        return {}
    entered = snap.stages.drop_duplicates("opportunity_id", keep="last").set_index(
        "opportunity_id"
    )["entered_at"]
    out = {}
    for deal in deals.itertuples():
        cadence = process.cadence_for(str(deal.stage), _text(deal.segment), _text(deal.product))
        if cadence is None:
            continue
        start = entered.get(deal.opportunity_id, deal.created_at)
        if start is None or pd.isna(start):  # neither entered nor opened: no day to start on
            continue
        out[deal.opportunity_id] = (
            pd.Timestamp(start).to_pydatetime(),
            (_text(deal.account_id), str(deal.stage), cadence),
        )
    return out


def _day_start(at: datetime) -> datetime:
    return datetime.combine(at.astimezone(UTC).date(), time.min, tzinfo=UTC)


def _text(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
