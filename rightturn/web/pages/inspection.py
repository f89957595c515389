"""The inspection pages: prospecting plan against actual per rep, each rep's prospects, and
deals against the stage model (the process map, conformance per rep, the deals behind each)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from rightturn.analytics.cache import cached_for_data
from rightturn.crm import queries
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.errors import ParseError
from rightturn.process.conformance import (
    DEVIATIONS,
    DealPath,
    deal_paths,
    rollup,
    summarize_paths,
)
from rightturn.process.definition import Process
from rightturn.process.inspect import (
    Inspection,
    check_sequences,
    contact_names,
    inspect_by,
    summarize,
)
from rightturn.process.versions import process_in_force
from rightturn.web import charts
from rightturn.web.pages.base import Who, as_of_day, render, router, store_of
from rightturn.web.process_map import process_map_svg

PROSPECTS_LISTED = 500  # a rep's prospects on their drill-down page, the latest first


def cached_inspection(store: Store, scope: Scope, when: datetime) -> dict[str, Inspection]:
    """The inspection by rep and by team as of ``when``, as the Inspection page and the home
    page's glance show it. Seconds at 1,000 reps: kept until the data changes (the process
    version is in the key, as applying a process does not change the data)."""
    version, _ = process_in_force(store, when)
    return cached_for_data(
        store,
        scope,
        ("inspection", when, version),
        lambda: inspect_by(store, scope, as_of=when, by=("rep", "team")),
    )


@router.get("/inspection", response_class=HTMLResponse)
def inspection(request: Request, who: Who, as_of: str | None = None) -> HTMLResponse:
    """Plan against actual per rep, the spread between reps, and team totals."""
    when = as_of_day(as_of)
    found = cached_inspection(store_of(request), who.scope, when)
    by_rep, by_team = found["rep"].as_json(), found["team"].as_json()
    rows: list[dict[str, Any]] = [{**r, "rep_id": r["key"]} for r in by_rep["by"]]
    return render(
        request,
        "inspection.html",
        as_of=when,
        r=by_rep,
        reps=rows,
        teams=by_team["by"],
        chart=charts.plan_actual_chart(rows) if rows else None,
    )


@router.get("/inspection/glance", response_class=HTMLResponse)
def inspection_glance(request: Request, who: Who, as_of: str | None = None) -> HTMLResponse:
    """The home page's one line of plan against actual, fetched after the page has shown: an
    inspection of a whole large org takes seconds when the data has just changed."""
    when = as_of_day(as_of)
    plan = cached_inspection(store_of(request), who.scope, when)["rep"].as_json()
    return render(
        request,
        "_plan_glance.html",
        plan=plan if plan["sequences"] else None,
        mine=who.account.role == "rep",
    )


@router.get("/inspection/reps/{rep_id}", response_class=HTMLResponse)
def inspection_rep(
    request: Request, who: Who, rep_id: str, as_of: str | None = None
) -> HTMLResponse:
    """One rep's prospects: each sequence's touches done against planned, its end, violations."""
    when = as_of_day(as_of)
    store = store_of(request)
    version, process = process_in_force(store, when)
    with store.session() as s:
        person = queries.get_rep(s, who.scope, rep_id)  # NotFound outside the viewer's scope
        checks = check_sequences(s, who.scope, process, as_of=when, rep_id=rep_id)
        mine = summarize(checks, rep_id, person["name"]).as_json() if checks else None
        checks.sort(key=lambda c: c.sequence.started_at, reverse=True)
        total, checks = len(checks), checks[:PROSPECTS_LISTED]
        names = contact_names(s, checks)
    return render(
        request,
        "inspection_rep.html",
        as_of=when,
        rep=person,
        process_name=process.name,
        process_version=version,
        mine=mine,
        checks=checks,
        names=names,
        total=total,
    )


DEALS_LISTED = 500  # deals on the conformance drill-down, the latest moves first


def cached_deal_paths(
    store: Store, scope: Scope, when: datetime
) -> tuple[int, Process, list[DealPath]]:
    """Every deal's path checked against the stage model as of ``when``: seconds at 1,000
    reps, kept until the data changes (the process version is in the key)."""
    version, _ = process_in_force(store, when)
    return cached_for_data(
        store, scope, ("deal-paths", when, version), lambda: deal_paths(store, scope, as_of=when)
    )


def _chosen(
    paths: list[DealPath], rep_id: str | None, deviation: str | None, move: str | None
) -> list[DealPath]:
    if deviation is not None and deviation not in DEVIATIONS:
        raise ParseError(f"deviation {deviation!r}: use one of {', '.join(DEVIATIONS)}")
    chosen = [p for p in paths if rep_id is None or p.rep_id == rep_id]
    if deviation:
        chosen = [p for p in chosen if p.deviates(deviation)]
    if move:
        source, _, to = move.partition(">")
        chosen = [p for p in chosen if any((m.source or "", m.to) == (source, to) for m in p.moves)]
    return chosen


@router.get("/inspection/deals", response_class=HTMLResponse)
def inspection_deals(
    request: Request,
    who: Who,
    as_of: str | None = None,
    rep_id: str | None = None,
    deviation: str | None = None,
    move: str | None = None,
) -> HTMLResponse:
    """Deals against the stage model: the process map, conformance per rep, and the deals
    behind a rep, a deviation or a move of the map."""
    when = as_of_day(as_of)
    store = store_of(request)
    version, process, paths = cached_deal_paths(store, who.scope, when)
    rep = None
    if rep_id:
        with store.session() as s:
            rep = queries.get_rep(s, who.scope, rep_id)  # NotFound outside the viewer's scope
    chosen = _chosen(paths, rep_id, deviation, move)
    found = summarize_paths(store, version, process, paths, as_of=when, by="rep")
    filtered = rep_id or deviation or move
    listed = sorted(chosen, key=lambda p: p.moves[-1].at if p.moves else when, reverse=True)
    names = dict((r.key, r.name) for r in found.by)
    return render(
        request,
        "inspection_deals.html",
        as_of=when,
        r=found.as_json(),
        reps=found.by,
        process_map=process_map_svg(
            found.nodes, found.edges, query={"as_of": as_of} if as_of else None
        )
        if paths
        else None,
        deals=listed[:DEALS_LISTED] if filtered else [],
        total=len(chosen),
        filtered=filtered,
        rep=rep,
        deviation=deviation,
        deviations=DEVIATIONS,
        move=move,
        rep_names=names,
        chosen=rollup("", "", chosen) if filtered and chosen else None,
    )
