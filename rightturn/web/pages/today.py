"""The Today page: a rep's guided day (:func:`~rightturn.process.today.guided_day`), ranked,
and the decisions taken on it.

A rep sees their own day; a manager or an admin picks any rep in their scope (``?rep_id=``), and
a rep outside it is a 404, as every out-of-scope record is. ``?date=`` plans another (UTC) day.

Each item on a prospect or a deal has a form that records a disposition for the rep
(:func:`~rightturn.process.dispositions.record_disposition`, as ``rightturn disposition`` does):
a viewer decides only on the rep's own contacts and deals, for a rep in their scope (anything
else is a 404); the answer is the same day again, saying what was recorded, and the refreshed
list follows the guided day's rules (a postponed prospect leaves it until its date). A decision
that cannot be recorded (postpone without a date, no reason to disqualify) is the page again
with the message, nothing recorded.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rightturn.analytics.snapshot import as_of_datetime
from rightturn.crm import queries
from rightturn.crm.scope import Scope
from rightturn.errors import ParseError
from rightturn.process.day_items import KINDS
from rightturn.process.dispositions import decided_between, record_disposition
from rightturn.process.today import guided_day
from rightturn.process.versions import in_force
from rightturn.web.pages.base import Who, parse_day, render, rep_choices, router, store_of

# Each kind in words: the label a rep reads, and what it asks of them.
KIND_INFO = {
    "reply_due": ("Answer", "A buyer wrote or called and is waiting for an answer"),
    "touch_due": ("Touch", "The play's next touch is due"),
    "deal_dark": ("Dark deal", "No buyer response for too long: re-engage"),
    "stalled": ("Stalled", "In its stage longer than usual: move it on or close it"),
    "disposition_due": ("Decide", "A postponed prospect or deal is due a decision"),
    "new_prospect": ("New prospect", "Start the prospecting play with someone new"),
}
# Each disposition as the form offers it (every kind of DISPOSITIONS, in its order).
DECISIONS = {
    "qualify": "Qualify",
    "disqualify": "Disqualify (choose a reason)",
    "postpone": "Postpone until a date",
    "archive": "Archive",
    "revisit": "Revisit on a date",
}


@dataclass(frozen=True)
class Attempt:
    """A decision refused: its message, and what was chosen, to show its row's form open and
    filled in again."""

    about: str | None  # the deal or contact id
    message: str
    kind: str
    reason: str | None
    on: str | None
    note: str | None


@router.get("/today", response_class=HTMLResponse)
def today(
    request: Request,
    who: Who,
    rep_id: str | None = None,
    date: str | None = None,
    recorded: int | None = None,
) -> HTMLResponse:
    """The guided day of the viewer's rep, or of the rep ``rep_id`` names (in scope);
    ``recorded`` names the disposition just recorded, for the notice."""
    day = parse_day(date, "date") if date else datetime.now(UTC).date()
    return _page(request, who, rep_id, day, recorded=recorded)


@router.post("/today/disposition")
def decide(
    request: Request,
    who: Who,
    rep_id: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    contact_id: Annotated[str | None, Form()] = None,
    opportunity_id: Annotated[str | None, Form()] = None,
    reason: Annotated[str | None, Form()] = None,
    note: Annotated[str | None, Form()] = None,
    on: Annotated[str | None, Form()] = None,
    date: Annotated[str | None, Form()] = None,
) -> Response:
    """Record a disposition on one of the rep's contacts or deals, then show the day again."""
    day = parse_day(date, "date") if date else datetime.now(UTC).date()
    store = store_of(request)
    with store.session() as s:
        queries.get_rep(s, who.scope, rep_id)  # a rep outside the viewer's scope: 404
    try:
        done = record_disposition(
            store,
            rep_id=rep_id,
            kind=kind,
            contact_id=contact_id or None,
            opportunity_id=opportunity_id or None,
            reason=reason if kind == "disqualify" else note,
            on_date=parse_day(on, "the date") if on else None,
            who=who.account.email,
            # The rep's own contacts and deals only, whoever decides for them.
            scope=Scope(frozenset({rep_id})),
        )
    except ParseError as exc:
        tried = Attempt(opportunity_id or contact_id, str(exc), kind, reason, on, note)
        return _page(request, who, rep_id, day, problem=tried, http_status=422)
    query = {"rep_id": rep_id, "date": day.isoformat(), "recorded": str(done.id)}
    return RedirectResponse(f"/today?{urlencode(query)}", status_code=303)


def _page(
    request: Request,
    who: Who,
    rep_id: str | None,
    day: date,
    *,
    recorded: int | None = None,
    problem: Attempt | None = None,
    http_status: int = 200,
) -> HTMLResponse:
    chosen = rep_id or who.account.rep_id
    store = store_of(request)
    now = datetime.now(UTC)
    with store.session() as s:
        reps = [] if who.account.role == "rep" else rep_choices(s, who)
        rep = queries.get_rep(s, who.scope, chosen) if chosen else None
        reasons = in_force(s, now).process().dispositions.disqualify_reasons
        start = datetime.combine(day, time.min, tzinfo=UTC)
        decided = decided_between(s, rep["rep_id"], start, as_of_datetime(day)) if rep else []
    items = guided_day(store, rep["rep_id"], day=day, scope=who.scope) if rep else []
    counts = Counter(i.kind for i in items)
    return render(
        request,
        "today.html",
        http_status=http_status,
        rep=rep,
        reps=reps,
        day=day,
        items=items,
        counts={k: counts[k] for k in KINDS if counts[k]},
        kind_info=KIND_INFO,
        decided=decided,
        notice=next((d for d in decided if d.id == recorded), None) if recorded else None,
        problem=problem,
        # A decision is recorded as of now: it changes today's list and later ones, not a past
        # day's, so a past day offers no forms.
        decidable=rep is not None and day >= now.date(),
        is_today=day == now.date(),
        decisions=DECISIONS,
        reasons=reasons,
        tomorrow=(now + timedelta(days=1)).date(),
    )
