"""The guided day's items and how they rank: :class:`DayItem` (the ``rightturn today --json``
contract and names for display), the ranking rule (:func:`score`, :func:`rank`, the weights),
and what every kind of item reads (:class:`DayContext`: the rep, the day, the process, the team's
stage conversions and typical deal). The rules themselves are in :mod:`rightturn.process.today`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rightturn.analytics.metrics import conversion, headline
from rightturn.analytics.snapshot import Snapshot, as_of_datetime, load_snapshot
from rightturn.crm.model import Account, Rep
from rightturn.crm.scope import Scope
from rightturn.process.definition import Process

__all__ = [
    "CONTRACT_KEYS",
    "DEFAULT_WIN",
    "KINDS",
    "MIN_HISTORY",
    "MIN_VALUE",
    "OVERDUE_CAP",
    "SEGMENT_VALUE",
    "URGENCY",
    "DayContext",
    "DayItem",
    "day_context",
    "days_words",
    "rank",
    "score",
    "segment_value",
    "when_words",
]

KINDS = ("reply_due", "touch_due", "deal_dark", "stalled", "disposition_due", "new_prospect")
URGENCY = {
    "reply_due": 10.0,
    "touch_due": 4.0,
    "deal_dark": 3.0,
    "stalled": 2.0,
    "disposition_due": 3.5,
    "new_prospect": 1.0,
}
OVERDUE_CAP = 7
SEGMENT_VALUE = {"enterprise": 0.3, "mid-market": 0.2, "smb": 0.1}
UNKNOWN_SEGMENT_VALUE = 0.1
MIN_VALUE = 0.05
DEFAULT_WIN = 0.2
# Deals that must have reached a stage before its own conversion to won is used.
MIN_HISTORY = 5
CONTRACT_KEYS = ("kind", "account_id", "contact_id", "opportunity_id", "due", "reason", "score")


@dataclass(frozen=True)
class DayItem:
    """One thing to do: the contract's fields, then names for display."""

    kind: str
    account_id: str | None
    contact_id: str | None
    opportunity_id: str | None
    due: date
    reason: str
    score: float
    account: str | None = None
    contact: str | None = None
    contact_title: str | None = None
    opportunity: str | None = None

    def contract(self) -> dict[str, Any]:
        """The ``rightturn today --json`` row: exactly :data:`CONTRACT_KEYS`, due as ISO."""
        row = asdict(self)
        return {k: (row[k].isoformat() if k == "due" else row[k]) for k in CONTRACT_KEYS}


def score(kind: str, overdue_days: int, value: float) -> float:
    """The ranking score (the rule is in :mod:`rightturn.process.today`'s docstring)."""
    late = min(max(overdue_days, 0), OVERDUE_CAP)
    return round(URGENCY[kind] * (1 + late) * max(value, MIN_VALUE), 4)


def rank(items: Iterable[DayItem]) -> list[DayItem]:
    """The items in the documented order: replies first, then score, then the tie-breaks."""
    order = {k: n for n, k in enumerate(KINDS)}
    return sorted(
        items,
        key=lambda i: (
            i.kind != "reply_due",
            -i.score,
            order[i.kind],
            i.due,
            i.opportunity_id or "",
            i.contact_id or "",
            i.account_id or "",
        ),
    )


def segment_value(segment: str | None) -> float:
    """An account's weight by its segment (:data:`SEGMENT_VALUE`), for items with no deal
    value."""
    return SEGMENT_VALUE.get((segment or "").strip().lower(), UNKNOWN_SEGMENT_VALUE)


def days_words(n: int) -> str:
    """``1 day``, ``3 days``."""
    return "1 day" if n == 1 else f"{n} days"


def when_words(due: date, day: date) -> str:
    """How late an item due on ``due`` is on ``day``: ``due today``, ``3 days overdue``."""
    late = (day - due).days
    return "due today" if late <= 0 else f"{days_words(late)} overdue"


@dataclass
class DayContext:
    """What every kind reads: the rep, the day, the process, and the team's history."""

    s: Session
    rep_id: str
    day: date
    end: datetime
    process: Process
    own: Scope
    snap: Snapshot
    win: dict[str, float]
    typical: float
    segments: dict[str, str | None]

    def deal_value(self, amount: Any, stage: str | None, account_id: str | None) -> float:
        """A deal's expected value in typical deals; its segment's weight without an amount."""
        if amount is None or (isinstance(amount, float) and math.isnan(amount)):
            return self.account_value(account_id)
        probability = self.win.get(stage or "", self.win.get("", DEFAULT_WIN))
        return float(amount) * probability / self.typical

    def account_value(self, account_id: str | None) -> float:
        return segment_value(self.segments.get(account_id or ""))

    def item_value(self, opportunity_id: str | None, account_id: str | None) -> float:
        """The value of an item on a deal (the deal's, when in the snapshot), else on an
        account."""
        if opportunity_id:
            deal = self.snap.deals[self.snap.deals["opportunity_id"] == opportunity_id]
            if len(deal):
                first = deal.iloc[0]
                return self.deal_value(first["amount"], first["stage"], account_id)
        return self.account_value(account_id)


def day_context(s: Session, rep_id: str, day: date, process: Process) -> DayContext:
    """The team's snapshot (stage conversions, the typical deal, stage times) and the rep's
    scope."""
    end = as_of_datetime(day)
    team = s.scalar(select(Rep.team_id).where(Rep.rep_id == rep_id))
    members = set(s.scalars(select(Rep.rep_id).where(Rep.team_id == team))) if team else set()
    snap = load_snapshot(s, Scope(frozenset(members | {rep_id})), end)
    amounts = snap.deals["amount"].dropna().astype(float)
    median = float(amounts.median()) if len(amounts) else 0.0
    ctx = DayContext(
        s,
        rep_id,
        day,
        end,
        process,
        Scope(frozenset({rep_id})),
        snap,
        _win_by_stage(snap),
        median if median > 0 else 1.0,
        {},
    )
    # Only the rep's accounts: every item is at one (a deal they own, a contact they worked).
    ctx.segments = dict(
        s.execute(
            select(Account.account_id, Account.segment).where(ctx.own.accounts(Account.account_id))
        )
        .tuples()
        .all()
    )
    return ctx


def _win_by_stage(snap: Snapshot) -> dict[str, float]:
    """Each open stage's historical conversion to won (won / deals that reached it); key ""
    holds the fallback, the overall win rate."""
    overall = headline(snap).get("win_rate")
    out: dict[str, float] = {"": float(overall) if overall is not None else DEFAULT_WIN}
    stages = conversion(snap)
    if not stages:
        return out
    won = stages[-1]["reached_next"]  # reaching past the last open stage is winning
    for row in stages:
        if row["reached"] >= MIN_HISTORY:  # a handful of deals says little: the overall rate
            out[row["stage"]] = won / row["reached"]
    return out
