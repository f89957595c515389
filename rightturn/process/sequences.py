"""Prospecting sequences recovered from captured activity: what a rep actually did to a prospect.

The rule, meant to hold in any org (it reads only captured activities, buyer actions and
opportunities, never the simulator's truth):

* A **touch** is an outbound email or call from a rep to a contact (``Activity.direction`` is
  ``outbound``, ``kind`` email or call; meetings are not touches, an accepted one ends the
  sequence). Only touches up to ``as_of`` count.
* The contact is a **prospect** of the rep at that time when the rep has no open opportunity at
  the contact's account, nor one naming the contact (open: created, and not yet closed, at the
  touch). Touches while such a deal is open are deal work and belong to no sequence.
* A **sequence starts** at a prospect touch when no sequence of that rep and contact is running
  and there has been no contact between them (a touch, a response) for :data:`QUIET_DAYS` days.
  A running sequence whose last touch is :data:`QUIET_DAYS` days old is over (abandoned, unless
  something ended it), so a later touch starts a new one.
* It **ends** at the contact's first buyer response to that rep: a reply or call-back (a
  :class:`~rightturn.crm.model.BuyerAction`, or any inbound email or call from the contact),
  ``"buyer reply"``; an accepted meeting or a meeting held with the contact, ``"meeting booked"``;
  or when the rep gets an opportunity at the contact's account (or naming the contact),
  ``"opportunity"``; or at the rep's disposition on the contact (qualify, disqualify, postpone,
  archive, revisit: :mod:`rightturn.process.dispositions`), ``"disposition"``. ``ended_by`` is
  None while it runs or once abandoned.
* After a response the rep answers: the first outbound email or call after each buyer response is
  that answer. Any further outbound touch before the buyer speaks again (until a deal opens or the
  quiet gap starts a new sequence) is the cadence carrying on past its exit rule; those are kept
  in :attr:`Sequence.after_exit` — a bad buyer experience the inspection counts.

Four set-based reads (activities with their contact's account, buyer actions, opportunities,
dispositions), then grouping in Python: no query per contact, so it stays fast at 1,000 reps.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rightturn.crm.model import (
    Activity,
    BuyerAction,
    Contact,
    Disposition,
    Opportunity,
    OpportunityContact,
)
from rightturn.crm.scope import Scope

__all__ = ["QUIET_DAYS", "RESPONSE_EXITS", "Sequence", "prospect_sequences"]

# Days without contact after which an outbound touch starts a new sequence.
QUIET_DAYS = 30
_QUIET = timedelta(days=QUIET_DAYS)
# The buyer actions that end a play, as the cadences' exit rules name them (deal plays too).
RESPONSE_EXITS = {
    "reply": "buyer reply",
    "call_back": "buyer reply",
    "meeting_accepted": "meeting booked",
}


@dataclass(frozen=True)
class Sequence:
    """One prospecting sequence of a rep to a contact (see the module docstring for the rule)."""

    rep_id: str
    contact_id: str
    account_id: str | None
    started_at: datetime  # the first outbound touch
    # (when, channel) outbound touches, oldest first, the first included; channel
    # email|call|meeting|other
    touches: tuple[tuple[datetime, str], ...]
    ended_by: str | None  # "buyer reply" | "meeting booked" | "opportunity" | "disposition" | None
    ended_at: datetime | None
    # Outbound touches after the buyer responded that were not the rep's answer (exit ignored).
    after_exit: tuple[tuple[datetime, str], ...] = ()


@dataclass
class _Open:
    """A sequence being built."""

    start: datetime
    touches: list[tuple[datetime, str]] = field(default_factory=list)
    ended_by: str | None = None
    ended_at: datetime | None = None
    after_exit: list[tuple[datetime, str]] = field(default_factory=list)
    answered: bool = False  # the rep has answered the buyer's latest response

    @property
    def running(self) -> bool:
        return self.ended_by is None

    def freeze(self, rep_id: str, contact_id: str, account_id: str | None) -> Sequence:
        return Sequence(
            rep_id,
            contact_id,
            account_id,
            self.start,
            tuple(self.touches),
            self.ended_by,
            self.ended_at,
            tuple(self.after_exit),
        )


@dataclass(frozen=True)
class _Event:
    at: datetime
    what: str  # "touch", "response", "deal", "disposition"
    detail: str  # channel, or what ended it


class Deals:
    """A rep's opportunities by account and by contact: creation times and open intervals."""

    def __init__(self) -> None:
        self.by_account: dict[tuple[str, str], list[tuple[datetime, datetime | None]]] = (
            defaultdict(list)
        )
        self.by_contact: dict[tuple[str, str], list[tuple[datetime, datetime | None]]] = (
            defaultdict(list)
        )

    def spans(
        self, rep_id: str, contact_id: str, account_id: str | None
    ) -> list[tuple[datetime, datetime | None]]:
        found = list(self.by_contact.get((rep_id, contact_id), ()))
        if account_id:
            found += self.by_account.get((rep_id, account_id), ())
        return sorted(found, key=lambda span: span[0])


def _open_at(spans: list[tuple[datetime, datetime | None]], at: datetime) -> bool:
    return any(start <= at and (end is None or at < end) for start, end in spans)


def prospect_sequences(
    session: Session, scope: Scope, *, as_of: datetime, rep_id: str | None = None
) -> list[Sequence]:
    """Every prospecting sequence of the reps in ``scope`` (or of ``rep_id``) up to ``as_of``,
    ordered by rep, then start."""
    touches, accounts = _read_activities(session, scope, as_of, rep_id)
    responses = _read_responses(session, scope, as_of, rep_id)
    deals = read_deals(session, scope, as_of, rep_id)
    decided = _read_dispositions(session, scope, as_of, rep_id)
    found: list[Sequence] = []
    for key in sorted(touches):
        r, c = key
        spans = deals.spans(r, c, accounts.get(key))
        events = [*touches[key], *responses.get(key, ()), *decided.get(key, ())]
        events += [_Event(start, "deal", "opportunity") for start, _ in spans]
        events.sort(key=lambda e: (e.at, e.what != "deal"))
        found += [s.freeze(r, c, accounts.get(key)) for s in _walk(events, spans)]
    found.sort(key=lambda s: (s.rep_id, s.started_at, s.contact_id))
    return found


def _soon_after(current: _Open, at: datetime) -> bool:
    """Whether a deal opened at ``at`` came of this running sequence (within the quiet gap of
    its last touch)."""
    return at >= current.start and at - current.touches[-1][0] < _QUIET


def _walk(events: Iterable[_Event], spans: list[tuple[datetime, datetime | None]]) -> list[_Open]:
    """One rep and contact's events in time order, cut into sequences."""
    done: list[_Open] = []
    current: _Open | None = None
    last_contact: datetime | None = None
    for event in events:
        if event.what == "deal":
            if current is not None and current.running and _soon_after(current, event.at):
                current.ended_by, current.ended_at = "opportunity", event.at
            current = None  # deal work follows; a later prospect touch needs a quiet gap
            continue
        if event.what == "disposition":
            if current is not None and current.running:
                current.ended_by, current.ended_at = "disposition", event.at
                # The rep decided: no answer is owed, so a further touch ignores the exit.
                current.answered = True
            continue
        if event.what == "response":
            if current is not None:
                if current.running:
                    current.ended_by, current.ended_at = event.detail, event.at
                current.answered = False
            last_contact = event.at
            continue
        if _open_at(spans, event.at):
            last_contact = event.at
            continue
        quiet = last_contact is None or event.at - last_contact >= _QUIET
        if current is None or quiet:
            if current is None and not quiet:
                last_contact = event.at  # right after a deal: contact, but no sequence yet
                continue
            current = _Open(event.at)
            done.append(current)
        if current.running:
            current.touches.append((event.at, event.detail))
        elif not current.answered:
            current.answered = True
        else:
            current.after_exit.append((event.at, event.detail))
        last_contact = event.at
    return done


def _read_activities(
    session: Session, scope: Scope, as_of: datetime, rep_id: str | None
) -> tuple[dict[tuple[str, str], list[_Event]], dict[tuple[str, str], str | None]]:
    """Outbound touches, and the contact's inbound mail, calls and meetings with the rep."""
    q = (
        select(
            Activity.rep_id,
            Activity.contact_id,
            Contact.account_id,
            Activity.kind,
            Activity.direction,
            Activity.occurred_at,
        )
        .join(Contact, Contact.contact_id == Activity.contact_id)
        .where(
            Activity.rep_id.is_not(None),
            Activity.occurred_at <= as_of,
            Activity.direction != "internal",
            scope.reps(Activity.rep_id),
        )
    )
    if rep_id is not None:
        q = q.where(Activity.rep_id == rep_id)
    events: dict[tuple[str, str], list[_Event]] = defaultdict(list)
    accounts: dict[tuple[str, str], str | None] = {}
    for rep, contact, account, kind, direction, at in session.execute(q):
        key = (rep, contact)
        accounts[key] = account
        if kind == "meeting":
            events[key].append(_Event(at, "response", "meeting booked"))
        elif direction == "outbound":
            events[key].append(_Event(at, "touch", kind))
        else:
            events[key].append(_Event(at, "response", "buyer reply"))
    return events, accounts


def _read_responses(
    session: Session, scope: Scope, as_of: datetime, rep_id: str | None
) -> dict[tuple[str, str], list[_Event]]:
    """Buyer actions (replies, call-backs, accepted meetings) by rep and contact."""
    ba = BuyerAction
    q = select(ba.rep_id, ba.contact_id, ba.kind, ba.occurred_at).where(
        BuyerAction.rep_id.is_not(None),
        BuyerAction.contact_id.is_not(None),
        BuyerAction.kind.in_(sorted(RESPONSE_EXITS)),
        BuyerAction.occurred_at <= as_of,
        scope.reps(BuyerAction.rep_id),
    )
    if rep_id is not None:
        q = q.where(BuyerAction.rep_id == rep_id)
    found: dict[tuple[str, str], list[_Event]] = defaultdict(list)
    for rep, contact, kind, at in session.execute(q):
        found[(rep, contact)].append(_Event(at, "response", RESPONSE_EXITS[kind]))
    return found


def _read_dispositions(
    session: Session, scope: Scope, as_of: datetime, rep_id: str | None
) -> dict[tuple[str, str], list[_Event]]:
    """The reps' dispositions on contacts decided by ``as_of``, by rep and contact."""
    q = select(Disposition.rep_id, Disposition.contact_id, Disposition.decided_at).where(
        Disposition.contact_id.is_not(None),
        Disposition.decided_at <= as_of,
        scope.reps(Disposition.rep_id),
    )
    if rep_id is not None:
        q = q.where(Disposition.rep_id == rep_id)
    found: dict[tuple[str, str], list[_Event]] = defaultdict(list)
    for rep, contact, at in session.execute(q):
        found[(rep, contact)].append(_Event(at, "disposition", "disposition"))
    return found


def read_deals(session: Session, scope: Scope, as_of: datetime, rep_id: str | None = None) -> Deals:
    """The reps' opportunities created by ``as_of``, with their accounts and named contacts
    (what ends a sequence; :mod:`rightturn.process.compare` counts the deals a sequence led to
    from the same read)."""
    q = (
        select(
            Opportunity.owner_rep_id,
            Opportunity.account_id,
            OpportunityContact.contact_id,
            Opportunity.created_at,
            Opportunity.closed_at,
        )
        .outerjoin(
            OpportunityContact, OpportunityContact.opportunity_id == Opportunity.opportunity_id
        )
        .where(
            Opportunity.owner_rep_id.is_not(None),
            Opportunity.created_at.is_not(None),
            Opportunity.created_at <= as_of,
            scope.reps(Opportunity.owner_rep_id),
        )
    )
    if rep_id is not None:
        q = q.where(Opportunity.owner_rep_id == rep_id)
    deals = Deals()
    seen: set[tuple[str, str, datetime]] = set()
    for rep, account, contact, created, closed in session.execute(q):
        if account and (rep, account, created) not in seen:
            seen.add((rep, account, created))
            deals.by_account[(rep, account)].append((created, closed))
        if contact:
            deals.by_contact[(rep, contact)].append((created, closed))
    return deals
