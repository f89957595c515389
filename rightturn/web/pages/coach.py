"""The coaching pages: ``/coach``, a manager's team (each rep's first focus, its gain per 100
touches, their open notes), and ``/coach/{rep_id}``, one rep's scorecard
(:func:`~rightturn.effort.coach.scorecard`) with their coaching notes, each followed week by week
(:func:`~rightturn.effort.notes.progress`).

A rep sees their own page only (``/coach`` takes them there; another rep's is a 404, as every
out-of-scope record is); a manager their team's reps, an admin everyone. Managers and admins
record a note (a practice, a target share, a line of text) and close one from the rep's page,
through the panel's CSRF-checked forms; a note that cannot be recorded is the page again with
the message and the form filled in as it was sent.

Scorecards read every touch of the org (seconds at a large org): they are cached per rep,
viewer scope and as-of day until the data changes. Notes are read fresh; their weeks are
cached with the note's number and state in the key, as recording a note changes no data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rightturn.analytics.cache import cached_for_data
from rightturn.analytics.snapshot import as_of_datetime
from rightturn.crm import queries
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.effort.coach import PRACTICES, Scorecard, scorecard, team_scorecards
from rightturn.effort.notes import (
    LATEST_WEEKS,
    MAX_NOTE,
    WEEKS_BEFORE,
    Note,
    NoteProgress,
    close_note,
    notes_for,
    progresses,
    record_note,
)
from rightturn.errors import ParseError, PermissionDenied
from rightturn.web import figures
from rightturn.web.coach_charts import note_progress_chart, practice_shares_chart
from rightturn.web.pages.base import Who, parse_day, render, rep_choices, router, store_of
from rightturn.web.pages.own import is_rep

SCORECARD_WEEKS = 26  # as `rightturn coach` reads them by default


@dataclass(frozen=True)
class Attempt:
    """A note refused: its message and what was sent, to fill the form in again."""

    message: str
    practice: str
    target: str
    note: str


def _period(as_of: str | None) -> tuple[datetime, datetime]:
    """The scorecard's weeks to the end of the as-of day (today's end, not now: a cache key)."""
    day = parse_day(as_of, "as_of") if as_of else datetime.now(UTC).date()
    until = as_of_datetime(day)
    return until - timedelta(weeks=SCORECARD_WEEKS), until


def _cached_cards(store: Store, scope: Scope, rep_ids: list[str], as_of: str | None) -> Any:
    since, until = _period(as_of)
    return cached_for_data(
        store,
        scope,
        ("coach-team", until, tuple(rep_ids)),
        lambda: team_scorecards(store, rep_ids, scope=scope, since=since, until=until),
    )


def _cached_card(store: Store, scope: Scope, rep_id: str, as_of: str | None) -> Scorecard:
    since, until = _period(as_of)
    return cached_for_data(
        store,
        scope,
        ("scorecard", rep_id, until),
        lambda: scorecard(store, rep_id, scope=scope, since=since, until=until),
    )


def _cached_progress(
    store: Store, scope: Scope, rep_id: str, notes: list[Note], until: datetime
) -> list[NoteProgress]:
    # Notes change no data version: the key names each note and whether it is closed.
    key = ("note-progress", rep_id, tuple((n.id, n.closed_at) for n in notes), until)
    return cached_for_data(store, scope, key, lambda: progresses(store, notes, until=until))


def _may_coach(who: Who) -> bool:
    return who.account.role in ("manager", "admin")


@router.get("/coach", response_class=HTMLResponse)
def coach_team(request: Request, who: Who, as_of: str | None = None) -> Response:
    """A manager's team: each rep's first focus and open notes. A rep goes to their own page."""
    if is_rep(who):
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/coach/{who.account.rep_id}{query}", status_code=303)
    store = store_of(request)
    with store.session() as s:
        reps = rep_choices(s, who)
    rep_ids = [r["rep_id"] for r in reps]
    cards: list[Scorecard] = _cached_cards(store, who.scope, rep_ids, as_of) if rep_ids else []
    open_notes: dict[str, list[Note]] = {}
    for n in notes_for(store, None, who.scope, open_only=True):
        open_notes.setdefault(n.rep_id, []).append(n)
    since, until = _period(as_of)
    return render(
        request,
        "coach.html",
        cards=cards,
        open_notes=open_notes,
        first_day=(since + timedelta(days=1)).date(),
        until=until,
        teams=len({c.team for c in cards}),
        too_many=not rep_ids,
    )


@router.get("/coach/{rep_id}", response_class=HTMLResponse)
def coach_rep(
    request: Request,
    who: Who,
    rep_id: str,
    as_of: str | None = None,
    recorded: int | None = None,
    closed: int | None = None,
) -> HTMLResponse:
    """One rep's scorecard and coaching notes (404 outside the viewer's scope)."""
    return _page(request, who, rep_id, as_of, recorded=recorded, closed=closed)


@router.post("/coach/{rep_id}/notes")
def add_note(
    request: Request,
    who: Who,
    rep_id: str,
    practice: Annotated[str, Form()],
    target: Annotated[str | None, Form()] = None,
    note: Annotated[str | None, Form()] = None,
) -> Response:
    """Record a coaching note for the rep (managers and admins), then show the page again."""
    store = store_of(request)
    with store.session() as s:
        queries.get_rep(s, who.scope, rep_id)  # out of scope: 404 before anything else
    if not _may_coach(who):
        raise PermissionDenied("coaching notes are set by a rep's manager; you can read yours")
    try:
        done = record_note(store, rep_id, practice, target, note, who.account.email, who.scope)
    except ParseError as exc:
        tried = Attempt(str(exc), practice, target or "", note or "")
        return _page(request, who, rep_id, None, problem=tried, http_status=422)
    return RedirectResponse(f"/coach/{rep_id}?recorded={done.id}", status_code=303)


@router.post("/coach/{rep_id}/notes/{note_id}/close")
def end_note(request: Request, who: Who, rep_id: str, note_id: int) -> Response:
    """Close one of the rep's notes (managers and admins), then show the page again."""
    store = store_of(request)
    with store.session() as s:
        queries.get_rep(s, who.scope, rep_id)
    if not _may_coach(who):
        raise PermissionDenied("coaching notes are closed by a rep's manager")
    # Only a note of this rep: a number from another page is not found here.
    close_note(store, note_id, Scope(frozenset({rep_id})))
    return RedirectResponse(f"/coach/{rep_id}?closed={note_id}", status_code=303)


def _page(
    request: Request,
    who: Who,
    rep_id: str,
    as_of: str | None,
    *,
    recorded: int | None = None,
    closed: int | None = None,
    problem: Attempt | None = None,
    http_status: int = 200,
) -> HTMLResponse:
    store = store_of(request)
    with store.session() as s:
        rep = queries.get_rep(s, who.scope, rep_id)  # NotFound outside the viewer's scope
    card = _cached_card(store, who.scope, rep_id, as_of)
    since, until = _period(as_of)
    notes = notes_for(store, rep_id, who.scope)
    followed = []
    for p in _cached_progress(store, who.scope, rep_id, notes, until):
        n = p.note
        data = p.as_json()
        worked = any(w.applicable or w.touches for w in p.weeks)
        chart = note_progress_chart(data, f"chart-note-{n.id}") if n.is_open and worked else None
        followed.append({"note": n, "p": p, "chart": chart})
    gaps: list[dict[str, Any]] = [g.as_json() for g in card.gaps]
    return render(
        request,
        "coach_rep.html",
        http_status=http_status,
        rep=rep,
        card=card,
        gaps=gaps,
        chart=practice_shares_chart(gaps) if card.result.touches else None,
        first_day=(since + timedelta(days=1)).date(),
        until=until,
        followed=followed,
        mine=who.account.rep_id == rep_id,
        may_coach=_may_coach(who),
        practices=PRACTICES,
        problem=problem,
        notice=_notice(notes, recorded, closed),
        max_note=MAX_NOTE,
        weeks_before=WEEKS_BEFORE,
        latest_weeks=LATEST_WEEKS,
        show_change=figures.show_change,
        show_change_interval=figures.show_change_interval,
    )


def _notice(notes: list[Note], recorded: int | None, closed: int | None) -> str | None:
    for n in notes:
        if n.id == recorded:
            aim = f", target {n.target:.0%}" if n.target is not None else ""
            return f"Recorded: focus on {n.practice_name.lower()}{aim}."
        if n.id == closed:
            return f"Closed: the focus on {n.practice_name.lower()}."
    return None
