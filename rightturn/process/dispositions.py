"""Dispositions: a rep's decision on a prospect (a contact) or a deal instead of the next touch.

The kinds are the process's (:data:`~rightturn.process.definition.DISPOSITIONS`):

* ``qualify`` and ``archive`` take no reason and no date;
* ``disqualify`` takes a reason, one of the process in force's ``dispositions.disqualify_reasons``
  (so reasons can be counted: "no budget" is one reason, not twenty spellings of it);
* ``postpone`` takes the date it is postponed until, ``revisit`` the date to revisit on; both
  after the day it is decided, and the guided day lists it as ``disposition_due`` from that date.

Decisions are only added: the latest on a contact or deal is the one in force
(:func:`latest_dispositions`). Any disposition on a contact ends the rep's running prospecting
sequence to them (the cadences' ``disposition`` exit rule, in
:mod:`rightturn.process.sequences`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rightturn.crm import queries
from rightturn.crm.model import Contact, Disposition, Opportunity
from rightturn.crm.scope import Scope
from rightturn.crm.settings import bump_data_version
from rightturn.crm.store import Store
from rightturn.crm.types import utcnow
from rightturn.errors import ParseError
from rightturn.process.definition import DISPOSITIONS
from rightturn.process.versions import in_force

__all__ = [
    "DATED",
    "RecordedDisposition",
    "decided_between",
    "latest_dispositions",
    "record_disposition",
]

# The kinds that carry a date: postpone (until it), revisit (on it).
DATED = ("postpone", "revisit")


@dataclass(frozen=True)
class RecordedDisposition:
    """One decision, with the names of who and what it is about when read for display."""

    id: int
    rep_id: str
    kind: str
    contact_id: str | None
    opportunity_id: str | None
    reason: str | None
    on_date: date | None
    decided_at: datetime
    decided_by: str
    # The contact's account, or the deal's: the guided day values an item by it.
    account_id: str | None = None
    rep: str | None = None
    contact: str | None = None
    opportunity: str | None = None

    @property
    def summary(self) -> str:
        """The decision in words, its subject by name: ``Cara Buyer postponed until
        2026-07-10``, ``Big Co - Atlas disqualified (no budget)``."""
        subject = (
            (self.contact or "an unnamed contact")
            if self.contact_id
            else (self.opportunity or "an unnamed deal")
        )
        when = self.on_date.isoformat() if self.on_date else ""
        done = {
            "qualify": "qualified",
            "disqualify": f"disqualified ({self.reason})",
            "postpone": f"postponed until {when}",
            "archive": "archived",
            "revisit": f"to revisit on {when}",
        }[self.kind]
        note = f' (note: "{self.reason}")' if self.reason and self.kind != "disqualify" else ""
        return f"{subject} {done}{note}"


def _check(
    kind: str,
    contact_id: str | None,
    opportunity_id: str | None,
    on_date: date | None,
    today: date,
) -> None:
    """Errors that need no database: the kind, one subject, the date."""
    if kind not in DISPOSITIONS:
        raise ParseError(f"{kind!r} is not a disposition; use one of: {', '.join(DISPOSITIONS)}")
    if (contact_id is None) == (opportunity_id is None):
        raise ParseError("a disposition is about one contact or one deal: give exactly one")
    if kind in DATED:
        if on_date is None:
            word = "until" if kind == "postpone" else "on"
            raise ParseError(f"{kind} needs the date to {kind} {word} (YYYY-MM-DD)")
        if on_date <= today:
            raise ParseError(
                f"{kind} needs a date after {today.isoformat()}, not {on_date.isoformat()}"
            )
    elif on_date is not None:
        raise ParseError(f"{kind} takes no date (only {' and '.join(DATED)} do)")


def _reason(session: Session, kind: str, reason: str | None, at: datetime) -> str | None:
    """The reason as the process in force spells it (disqualify), or the free note given."""
    said = " ".join((reason or "").split())
    if kind != "disqualify":
        return said[:200] or None
    allowed = in_force(session, at).process().dispositions.disqualify_reasons
    for known in allowed:
        if known.lower() == said.lower():
            return known
    given = f"{reason!r} is not" if said else "none was given; it needs"
    choices = "; ".join(allowed)
    raise ParseError(
        f"disqualify needs a reason from the process in force: {given} one of: {choices}"
    )


def record_disposition(
    store: Store,
    *,
    rep_id: str,
    kind: str,
    contact_id: str | None = None,
    opportunity_id: str | None = None,
    reason: str | None = None,
    on_date: date | None = None,
    who: str,
    scope: Scope,
    at: datetime | None = None,
) -> RecordedDisposition:
    """Record a rep's decision on one contact or deal, visible in ``scope``
    (:class:`~rightturn.errors.NotFound` otherwise), and mark the data changed in the same
    transaction. ``at`` is when it is decided (now by default; a naive time is UTC)."""
    when = at or utcnow()
    _check(kind, contact_id, opportunity_id, on_date, when.date())
    with store.session() as s:
        rep = queries.get_rep(s, scope, rep_id)
        contact = queries.get_contact(s, scope, contact_id) if contact_id else None
        deal = queries.get_opportunity(s, scope, opportunity_id) if opportunity_id else None
        row = Disposition(
            rep_id=rep_id,
            contact_id=contact_id,
            opportunity_id=opportunity_id,
            kind=kind,
            reason=_reason(s, kind, reason, when),
            on_date=on_date,
            decided_at=when,
            decided_by=who[:320],
        )
        s.add(row)
        bump_data_version(s)
        s.flush()
        subject = contact or deal or {}
        return RecordedDisposition(
            row.id,
            rep_id,
            kind,
            contact_id,
            opportunity_id,
            row.reason,
            on_date,
            when,
            row.decided_by,
            subject.get("account_id"),
            rep.get("name"),
            contact.get("name") if contact else None,
            deal.get("name") if deal else None,
        )


def latest_dispositions(session: Session, rep_id: str, at: datetime) -> list[RecordedDisposition]:
    """The rep's latest disposition on each contact and each deal, decided up to ``at``
    (a later one replaces an earlier: postponed, then qualified, is qualified)."""
    rows = session.execute(
        select(Disposition, func.coalesce(Contact.account_id, Opportunity.account_id))
        .outerjoin(Contact, Contact.contact_id == Disposition.contact_id)
        .outerjoin(Opportunity, Opportunity.opportunity_id == Disposition.opportunity_id)
        .where(
            Disposition.rep_id == rep_id,
            Disposition.decided_at <= at,
        )
        .order_by(Disposition.decided_at, Disposition.id)
    ).all()
    latest: dict[tuple[str | None, str | None], RecordedDisposition] = {}
    for d, account_id in rows:  # oldest first, so the last one kept is the latest
        latest[(d.contact_id, d.opportunity_id)] = _recorded(d, account_id)
    return list(latest.values())


def decided_between(
    session: Session, rep_id: str, since: datetime, until: datetime
) -> list[RecordedDisposition]:
    """The rep's dispositions decided from ``since`` up to ``until`` (both included), newest
    first, with the names of the contact or deal (the panel's "Decided today")."""
    rows = session.execute(
        select(
            Disposition,
            func.coalesce(Contact.account_id, Opportunity.account_id),
            Contact.name,
            Opportunity.name,
        )
        .outerjoin(Contact, Contact.contact_id == Disposition.contact_id)
        .outerjoin(Opportunity, Opportunity.opportunity_id == Disposition.opportunity_id)
        .where(
            Disposition.rep_id == rep_id,
            Disposition.decided_at >= since,
            Disposition.decided_at <= until,
        )
        .order_by(Disposition.decided_at.desc(), Disposition.id.desc())
    ).all()
    return [_recorded(d, account_id, contact, deal) for d, account_id, contact, deal in rows]


def _recorded(
    d: Disposition, account_id: str | None, contact: str | None = None, deal: str | None = None
) -> RecordedDisposition:
    return RecordedDisposition(
        d.id,
        d.rep_id,
        d.kind,
        d.contact_id,
        d.opportunity_id,
        d.reason,
        d.on_date,
        d.decided_at,
        d.decided_by,
        account_id,
        contact=contact,
        opportunity=deal,
    )
