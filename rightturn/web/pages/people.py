"""Reps: the list and one rep's page."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from rightturn.analytics.activity import activity_mix, week_over_week
from rightturn.crm import queries
from rightturn.errors import ParseError
from rightturn.web import charts
from rightturn.web.pages.base import (
    Who,
    as_of_day,
    render,
    router,
    store_of,
)

# --- reps ------------------------------------------------------------------------------------


@router.get("/reps", response_class=HTMLResponse)
def reps(
    request: Request, who: Who, q: str | None = None, sort: str = "name", desc: bool = False
) -> HTMLResponse:
    with store_of(request).session() as s:
        rows = queries.list_reps(s, who.scope)
    if q:
        rows = [r for r in rows if q.lower() in (r["name"] + " " + (r["team"] or "")).lower()]
    if sort not in ("name", "team", "quota"):
        raise ParseError(f"sort={sort!r} is not one of name, team, quota")
    rows.sort(key=lambda r: (r[sort] is None, r[sort] or 0 if sort == "quota" else r[sort] or ""))
    if desc:
        rows.reverse()
    return render(request, "reps.html", reps=rows, q=q or "", sort=sort, desc=desc)


@router.get("/reps/{rep_id}", response_class=HTMLResponse)
def rep(request: Request, who: Who, rep_id: str, as_of: str | None = None) -> HTMLResponse:
    when = as_of_day(as_of)
    with store_of(request).session() as s:
        person = queries.get_rep(s, who.scope, rep_id)
        mix = activity_mix(s, who.scope, rep_id=rep_id, as_of=when)
        wow = week_over_week(s, who.scope, as_of=when, rep_id=rep_id)
        deals = queries.list_opportunities(
            s, who.scope, rep_id=rep_id, status="open", sort="close_date", limit=100
        )
        recent = queries.list_activities(
            s, who.scope, queries.ActivityFilter(rep_id=rep_id), limit=20
        )
    return render(
        request,
        "rep.html",
        rep=person,
        wow=wow,
        mix_chart=charts.activity_mix_chart(mix, f"{person['name']}: activity mix per week")
        if any(r["count"] for r in mix)
        else None,
        deals=deals,
        recent=recent,
    )
