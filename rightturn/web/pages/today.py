"""The Today page: a rep's guided day (:func:`~rightturn.process.today.guided_day`), ranked.

A rep sees their own day; a manager or an admin picks any rep in their scope (``?rep_id=``), and
a rep outside it is a 404, as every out-of-scope record is. ``?date=`` plans another (UTC) day.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import HTMLResponse

from rightturn.crm import queries
from rightturn.process.today import KINDS, guided_day
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


@router.get("/today", response_class=HTMLResponse)
def today(
    request: Request, who: Who, rep_id: str | None = None, date: str | None = None
) -> HTMLResponse:
    """The guided day of the viewer's rep, or of the rep ``rep_id`` names (in scope)."""
    day = parse_day(date, "date") if date else datetime.now(UTC).date()
    chosen = rep_id or who.account.rep_id
    store = store_of(request)
    with store.session() as s:
        reps = [] if who.account.role == "rep" else rep_choices(s, who)
        rep = queries.get_rep(s, who.scope, chosen) if chosen else None
    items = guided_day(store, rep["rep_id"], day=day, scope=who.scope) if rep else []
    counts = Counter(i.kind for i in items)
    return render(
        request,
        "today.html",
        rep=rep,
        reps=reps,
        day=day,
        items=items,
        counts={k: counts[k] for k in KINDS if counts[k]},
        kind_info=KIND_INFO,
    )
