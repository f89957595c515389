"""Reading the CRM for a viewer: reps, teams, accounts, contacts, opportunities, activities.

Every function takes a :class:`~rightturn.crm.scope.Scope` and filters in SQL; a record outside
it is reported as not found, exactly like one that does not exist, so a denial leaks nothing.
Results are plain dicts (JSON-ready) so the API and the panel render the same data; the API
declares each one's keys and types in :mod:`rightturn.web.schemas` (a key added here must be
added there, or the route fails with a 500 rather than answer a key its document does not show).

Lists of activities page with a keyset cursor on ``(occurred_at, activity_id)``, newest first:
stable while capture adds rows, and as fast on page 1,000 as on page 1.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, asc, desc, func, or_, select
from sqlalchemy.orm import Session

from rightturn.crm.model import (
    Account,
    Activity,
    ActivityParticipant,
    Contact,
    ContactEmail,
    Opportunity,
    OpportunityContact,
    Rep,
    RepEmail,
    StageChange,
    Team,
)
from rightturn.crm.scope import Scope
from rightturn.crm.store import chunks
from rightturn.crm.types import UTCDateTime
from rightturn.errors import NotFound, ParseError

__all__ = [
    "ActivityFilter",
    "Page",
    "activity_row",
    "aware",
    "decode_cursor",
    "encode_cursor",
    "get_account",
    "get_activity",
    "get_contact",
    "get_opportunity",
    "get_rep",
    "list_accounts",
    "list_activities",
    "list_contacts",
    "list_opportunities",
    "list_reps",
    "list_teams",
    "named_activities",
    "named_activity",
]

MAX_LIMIT = 500
OPPORTUNITY_SORTS = {
    "name": Opportunity.name,
    "account": Account.name,
    "rep": Rep.name,
    "stage": Opportunity.stage,
    "status": Opportunity.status,
    "amount": Opportunity.amount,
    "close_date": Opportunity.close_date,
    "created_at": Opportunity.created_at,
}


@dataclass
class Page:
    """One page of a list: its rows, the cursor of the next page (None at the end), the total."""

    items: list[dict[str, Any]]
    next_cursor: str | None = None
    total: int | None = None


def _limit(limit: int) -> int:
    if limit < 1:
        raise ParseError(f"limit={limit} must be at least 1")
    return min(limit, MAX_LIMIT)


def encode_cursor(values: Sequence[Any]) -> str:
    """An opaque cursor over a row's sort key (strings and integers)."""
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    """The ``size`` values of a cursor :func:`encode_cursor` made; anything else is a ParseError
    naming the cursor."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        values = None
    if (
        not isinstance(values, list)
        or len(values) != size
        or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values)
    ):
        raise ParseError(f"cursor {cursor!r} is not one this server gave out; start without it")
    return values


# --- reps and teams --------------------------------------------------------------------------


def _rep(rep: Rep, team: str | None, emails: list[str]) -> dict[str, Any]:
    return {
        "rep_id": rep.rep_id,
        "name": rep.name,
        "team_id": rep.team_id,
        "team": team,
        "manager_id": rep.manager_id,
        "quota": float(rep.quota) if rep.quota is not None else None,
        "active": rep.active,
        "emails": emails,
    }


def sellers() -> ColumnElement[bool]:
    """A WHERE clause keeping the rep rows that sell: every row but a manager's own without a
    quota. CRM exports list a team's manager as a rep row (so their mail can be told apart);
    a manager who carries a quota (a player-coach) still sells and stays."""
    managing = select(Rep.manager_id).where(Rep.manager_id.is_not(None))
    leading = select(Team.manager_rep_id).where(Team.manager_rep_id.is_not(None))
    return or_(
        Rep.quota.is_not(None), and_(Rep.rep_id.not_in(managing), Rep.rep_id.not_in(leading))
    )


def list_reps(
    s: Session, scope: Scope, *, team_id: str | None = None, sellers_only: bool = False
) -> list[dict[str, Any]]:
    """The visible reps, by name; ``sellers_only`` leaves out managers without a quota."""
    query = (
        select(Rep, Team.name)
        .outerjoin(Team, Team.team_id == Rep.team_id)
        .where(scope.reps(Rep.rep_id))
        .order_by(Rep.name, Rep.rep_id)
    )
    if team_id:
        query = query.where(Rep.team_id == team_id)
    if sellers_only:
        query = query.where(sellers())
    rows = s.execute(query).all()
    emails: dict[str, list[str]] = {}
    ids = [rep.rep_id for rep, _ in rows]
    for chunk in chunks(ids):
        for rep_id, email in s.execute(
            select(RepEmail.rep_id, RepEmail.email).where(RepEmail.rep_id.in_(chunk))
        ):
            emails.setdefault(rep_id, []).append(email)
    return [_rep(rep, team, sorted(emails.get(rep.rep_id, []))) for rep, team in rows]


def get_rep(s: Session, scope: Scope, rep_id: str) -> dict[str, Any]:
    """One visible rep."""
    row = s.execute(
        select(Rep, Team.name)
        .outerjoin(Team, Team.team_id == Rep.team_id)
        .where(Rep.rep_id == rep_id, scope.reps(Rep.rep_id))
    ).first()
    if row is None:
        raise NotFound(f"no rep {rep_id!r}")
    emails = sorted(s.scalars(select(RepEmail.email).where(RepEmail.rep_id == rep_id)))
    return _rep(row[0], row[1], emails)


def list_teams(s: Session, scope: Scope) -> list[dict[str, Any]]:
    """Teams with at least one visible rep (all teams for an admin), with their rep counts."""
    visible = func.count(Rep.rep_id)
    query = (
        select(Team, visible)
        .outerjoin(Rep, and_(Rep.team_id == Team.team_id, scope.reps(Rep.rep_id)))
        .group_by(Team.team_id)
        .order_by(Team.name)
    )
    if not scope.is_everything:
        query = query.having(visible > 0)
    return [
        {
            "team_id": team.team_id,
            "name": team.name,
            "region": team.region,
            "manager_rep_id": team.manager_rep_id,
            "manager_name": team.manager_name,
            "reps": n,
        }
        for team, n in s.execute(query)
    ]


# --- accounts and contacts -------------------------------------------------------------------


def _account(a: Account) -> dict[str, Any]:
    return {
        "account_id": a.account_id,
        "name": a.name,
        "industry": a.industry,
        "segment": a.segment,
        "country": a.country,
        "employees": a.employees,
        "parent_account_id": a.parent_account_id,
    }


def list_accounts(
    s: Session, scope: Scope, *, q: str | None = None, cursor: str | None = None, limit: int = 100
) -> Page:
    """Visible accounts by name; ``q`` matches part of the name (case-insensitive)."""
    limit = _limit(limit)
    query = select(Account).where(scope.accounts(Account.account_id))
    if q:
        query = query.where(func.lower(Account.name).contains(q.lower(), autoescape=True))
    if cursor:
        name, account_id = decode_cursor(cursor, 2)
        query = query.where(
            or_(Account.name > name, and_(Account.name == name, Account.account_id > account_id))
        )
    rows = list(s.scalars(query.order_by(Account.name, Account.account_id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    following = encode_cursor([rows[-1].name, rows[-1].account_id]) if more else None
    return Page([_account(a) for a in rows], following)


def get_account(s: Session, scope: Scope, account_id: str) -> dict[str, Any]:
    """One visible account."""
    account = s.scalar(
        select(Account).where(Account.account_id == account_id, scope.accounts(Account.account_id))
    )
    if account is None:
        raise NotFound(f"no account {account_id!r}")
    return _account(account)


def _contact(c: Contact, emails: list[str]) -> dict[str, Any]:
    return {
        "contact_id": c.contact_id,
        "account_id": c.account_id,
        "name": c.name,
        "title": c.title,
        "auto_created": c.auto_created,
        "emails": emails,
    }


def _with_emails(s: Session, contacts: list[Contact]) -> list[dict[str, Any]]:
    emails: dict[str, list[str]] = {}
    for chunk in chunks([c.contact_id for c in contacts]):
        for contact_id, email in s.execute(
            select(ContactEmail.contact_id, ContactEmail.email).where(
                ContactEmail.contact_id.in_(chunk)
            )
        ):
            emails.setdefault(contact_id, []).append(email)
    return [_contact(c, sorted(emails.get(c.contact_id, []))) for c in contacts]


def list_contacts(
    s: Session,
    scope: Scope,
    *,
    account_id: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> Page:
    """Visible contacts (those of visible accounts), by id."""
    limit = _limit(limit)
    query = select(Contact).where(scope.accounts(Contact.account_id))
    if account_id:
        query = query.where(Contact.account_id == account_id)
    if q:
        query = query.where(func.lower(Contact.name).contains(q.lower(), autoescape=True))
    if cursor:
        (after,) = decode_cursor(cursor, 1)
        query = query.where(Contact.contact_id > after)
    rows = list(s.scalars(query.order_by(Contact.contact_id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(_with_emails(s, rows), encode_cursor([rows[-1].contact_id]) if more else None)


def get_contact(s: Session, scope: Scope, contact_id: str) -> dict[str, Any]:
    """One visible contact."""
    contact = s.scalar(
        select(Contact).where(Contact.contact_id == contact_id, scope.accounts(Contact.account_id))
    )
    if contact is None:
        raise NotFound(f"no contact {contact_id!r}")
    return _with_emails(s, [contact])[0]


# --- opportunities ---------------------------------------------------------------------------


def _opportunity(o: Opportunity, account: str | None, rep: str | None) -> dict[str, Any]:
    return {
        "opportunity_id": o.opportunity_id,
        "name": o.name,
        "account_id": o.account_id,
        "account": account,
        "owner_rep_id": o.owner_rep_id,
        "owner": rep,
        "product": o.product,
        "amount": float(o.amount) if o.amount is not None else None,
        "stage": o.stage,
        "status": o.status,
        "created_at": o.created_at,
        "close_date": o.close_date,
        "closed_at": o.closed_at,
        "forecast_category": o.forecast_category,
    }


def list_opportunities(
    s: Session,
    scope: Scope,
    *,
    rep_id: str | None = None,
    account_id: str | None = None,
    status: str | None = None,
    stage: str | None = None,
    q: str | None = None,
    sort: str = "close_date",
    descending: bool = False,
    offset: int = 0,
    limit: int = 100,
) -> Page:
    """Visible opportunities, filtered and sorted; ``total`` counts every match."""
    limit = _limit(limit)
    if sort not in OPPORTUNITY_SORTS:
        raise ParseError(f"sort={sort!r} is not one of {', '.join(OPPORTUNITY_SORTS)}")
    where = [scope.reps(Opportunity.owner_rep_id)]
    if rep_id:
        where.append(Opportunity.owner_rep_id == rep_id)
    if account_id:
        where.append(Opportunity.account_id == account_id)
    if status:
        where.append(Opportunity.status == status)
    if stage:
        where.append(Opportunity.stage == stage)
    if q:
        text = q.lower()
        where.append(
            or_(
                func.lower(Opportunity.name).contains(text, autoescape=True),
                func.lower(Account.name).contains(text, autoescape=True),
                Opportunity.opportunity_id == q,
            )
        )
    base = (
        select(Opportunity, Account.name, Rep.name)
        .outerjoin(Account, Account.account_id == Opportunity.account_id)
        .outerjoin(Rep, Rep.rep_id == Opportunity.owner_rep_id)
        .where(*where)
    )
    if q:  # the text search looks at the account's name too
        total = s.scalar(select(func.count()).select_from(base.subquery())) or 0
    else:  # outer joins on primary keys cannot change the count: skip them (33 ms -> 1 ms)
        total = s.scalar(select(func.count()).select_from(Opportunity).where(*where)) or 0
    order = desc if descending else asc
    key = OPPORTUNITY_SORTS[sort]
    rows = s.execute(
        base.order_by(order(key).nulls_last(), Opportunity.opportunity_id)
        .offset(max(offset, 0))
        .limit(limit)
    ).all()
    following = str(offset + limit) if offset + limit < total else None
    return Page([_opportunity(o, a, r) for o, a, r in rows], following, total)


def get_opportunity(s: Session, scope: Scope, opportunity_id: str) -> dict[str, Any]:
    """One visible opportunity with its stage history and contacts (roles and engaged)."""
    row = s.execute(
        select(Opportunity, Account.name, Rep.name)
        .outerjoin(Account, Account.account_id == Opportunity.account_id)
        .outerjoin(Rep, Rep.rep_id == Opportunity.owner_rep_id)
        .where(
            Opportunity.opportunity_id == opportunity_id,
            scope.reps(Opportunity.owner_rep_id),
        )
    ).first()
    if row is None:
        raise NotFound(f"no opportunity {opportunity_id!r}")
    out = _opportunity(*row)
    out["stage_history"] = [
        {"stage": c.stage, "entered_at": c.entered_at, "inferred": c.inferred}
        for c in s.scalars(
            select(StageChange)
            .where(StageChange.opportunity_id == opportunity_id)
            .order_by(StageChange.entered_at, StageChange.id)
        )
    ]
    roles = {
        contact_id: role
        for contact_id, role in s.execute(
            select(OpportunityContact.contact_id, OpportunityContact.role).where(
                OpportunityContact.opportunity_id == opportunity_id
            )
        )
    }
    engaged = {
        contact_id: (n, last)
        for contact_id, n, last in s.execute(
            select(Activity.contact_id, func.count(), func.max(Activity.occurred_at))
            .where(
                Activity.opportunity_id == opportunity_id,
                Activity.contact_id.is_not(None),
                scope.reps(Activity.rep_id),
            )
            .group_by(Activity.contact_id)
        )
    }
    people = {
        c.contact_id: c
        for c in s.scalars(select(Contact).where(Contact.contact_id.in_(set(roles) | set(engaged))))
    }
    out["contacts"] = sorted(
        (
            {
                "contact_id": contact_id,
                "name": people[contact_id].name if contact_id in people else None,
                "title": people[contact_id].title if contact_id in people else None,
                "role": roles.get(contact_id),
                "activities": engaged.get(contact_id, (0, None))[0],
                "last_activity_at": aware(engaged.get(contact_id, (0, None))[1]),
            }
            for contact_id in set(roles) | set(engaged)
        ),
        key=lambda c: (-c["activities"], c["contact_id"]),
    )
    return out


# --- activities ------------------------------------------------------------------------------


@dataclass
class ActivityFilter:
    """What ``list_activities`` keeps; every field is optional."""

    rep_id: str | None = None
    account_id: str | None = None
    opportunity_id: str | None = None
    contact_id: str | None = None
    kind: str | None = None
    status: str | None = None
    direction: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    kinds: list[str] = field(default_factory=list)


def named_activities() -> Select[Any]:
    """Activities with the names a person reads beside the ids: the rep's, the contact's (and
    title), the account's and the deal's. Outer joins on primary keys, one row each: a keyset
    page still reads only its own rows (no query per row for the names)."""
    return (
        select(Activity, Rep.name, Contact.name, Contact.title, Account.name, Opportunity.name)
        .outerjoin(Rep, Rep.rep_id == Activity.rep_id)
        .outerjoin(Contact, Contact.contact_id == Activity.contact_id)
        .outerjoin(Account, Account.account_id == Activity.account_id)
        .outerjoin(Opportunity, Opportunity.opportunity_id == Activity.opportunity_id)
    )


def activity_row(a: Activity, *names: str | None, body: bool) -> dict[str, Any]:
    """An activity as the API and the panel show it; ``names`` are the rest of a
    :func:`named_activities` row (rep, contact, contact title, account, deal)."""
    rep, contact, title, account, opportunity = names
    out = {
        "activity_id": a.activity_id,
        "kind": a.kind,
        "direction": a.direction,
        "occurred_at": a.occurred_at,
        "rep_id": a.rep_id,
        "rep": rep,
        "subject": a.subject,
        "duration_s": a.duration_s,
        "outcome": a.outcome,
        "source": a.source,
        "source_id": a.source_id,
        "thread_id": a.thread_id,
        "contact_id": a.contact_id,
        "contact": contact,
        "contact_title": title,
        "account_id": a.account_id,
        "account": account,
        "opportunity_id": a.opportunity_id,
        "opportunity": opportunity,
        "status": a.status,
        "confidence": a.confidence,
        "reason": a.reason,
        "manual": a.manual,
    }
    if body:
        out["body_excerpt"] = a.body_excerpt
    return out


def named_activity(s: Session, activity_id: int, *, body: bool = True) -> dict[str, Any]:
    """One activity as :func:`activity_row` gives it, its names read (not scoped: for a caller
    that has checked the viewer may see it)."""
    row = s.execute(named_activities().where(Activity.activity_id == activity_id)).one()
    return activity_row(*row, body=body)


def list_activities(
    s: Session,
    scope: Scope,
    where: ActivityFilter | None = None,
    *,
    cursor: str | None = None,
    limit: int = 100,
    body: bool = False,
    oldest_first: bool = False,
) -> Page:
    """Visible activities, newest first (or oldest first), a page at a time."""
    f = where or ActivityFilter()
    limit = _limit(limit)
    clauses = [scope.reps(Activity.rep_id)]
    for column, value in (
        (Activity.rep_id, f.rep_id),
        (Activity.account_id, f.account_id),
        (Activity.opportunity_id, f.opportunity_id),
        (Activity.contact_id, f.contact_id),
        (Activity.kind, f.kind),
        (Activity.status, f.status),
        (Activity.direction, f.direction),
    ):
        if value:
            clauses.append(column == value)
    if f.kinds:
        clauses.append(Activity.kind.in_(f.kinds))
    if f.since:
        clauses.append(Activity.occurred_at >= f.since)
    if f.until:
        clauses.append(Activity.occurred_at < f.until)
    if cursor:
        when, activity_id = decode_cursor(cursor, 2)
        try:
            at = datetime.fromisoformat(when)
            activity_id = int(activity_id)
        except (TypeError, ValueError):
            raise ParseError(f"cursor {cursor!r} is not one this server gave out") from None
        if oldest_first:
            after = or_(
                Activity.occurred_at > at,
                and_(Activity.occurred_at == at, Activity.activity_id > activity_id),
            )
        else:
            after = or_(
                Activity.occurred_at < at,
                and_(Activity.occurred_at == at, Activity.activity_id < activity_id),
            )
        clauses.append(after)
    order = asc if oldest_first else desc
    rows = s.execute(
        named_activities()
        .where(*clauses)
        .order_by(order(Activity.occurred_at), order(Activity.activity_id))
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    following = None
    if more:
        last = rows[-1][0]
        following = encode_cursor([last.occurred_at.isoformat(), last.activity_id])
    return Page([activity_row(*row, body=body) for row in rows], following)


def get_activity(s: Session, scope: Scope, activity_id: int) -> dict[str, Any]:
    """One visible activity with its body excerpt and participants."""
    row = s.execute(
        named_activities().where(Activity.activity_id == activity_id, scope.reps(Activity.rep_id))
    ).first()
    if row is None:
        raise NotFound(f"no activity {activity_id}")
    out = activity_row(*row, body=True)
    out["participants"] = [
        {
            "role": p.role,
            "address": p.address,
            "name": p.name,
            "rep_id": p.rep_id,
            "contact_id": p.contact_id,
            "response": p.response,
        }
        for p in s.scalars(
            select(ActivityParticipant)
            .where(ActivityParticipant.activity_id == activity_id)
            .order_by(ActivityParticipant.id)
        )
    ]
    return out


def aware(value: Any) -> Any:
    """An aggregate's timestamp (raw SQL gives naive UTC or text on SQLite) as aware UTC."""
    if value is None or (isinstance(value, datetime) and value.tzinfo is not None):
        return value

    return UTCDateTime().process_result_value(value, None)  # type: ignore[arg-type]
