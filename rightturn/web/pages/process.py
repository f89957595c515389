"""The process page: the version in force (or one asked for), its stages in order with their
criteria, each cadence's touches day by day, the day's limits, and every version applied.

Everyone signed in may read it: the process is the org's, not a team's records, and a rep is the
one asked to follow its cadences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from rightturn.crm.bounds import INT32_MAX
from rightturn.crm.stages import stage_order
from rightturn.process.definition import Cadence, Touch
from rightturn.process.versions import find_version, in_force, list_versions
from rightturn.web.pages.base import Who, render, router, store_of


@dataclass(frozen=True)
class TouchRow:
    """One touch of a cadence as the page lists it: its number and its day from the start."""

    number: int
    day: float
    touch: Touch


@router.get("/process", response_class=HTMLResponse)
def process_page(
    request: Request,
    who: Who,
    version: Annotated[int | None, Query(ge=0, le=INT32_MAX)] = None,
) -> HTMLResponse:
    """The process in force, or ``?version=N`` (0: the shipped default)."""
    store = store_of(request)
    with store.session() as s:
        current = in_force(s)
        order = stage_order(s)
    if version is None or version == current.version:
        shown = current
    else:
        shown = find_version(store, version)
    process = shown.process()
    named = {stage.name.casefold() for stage in process.stages}
    # Stages in the data the process in force does not name: the pages list them after its own.
    # (With none applied, the order is learned from the data and every stage is its own.)
    others = [st for st in order if st.casefold() not in named] if shown.version else []
    return render(
        request,
        "process.html",
        shown=shown,
        current=current,
        process=process,
        stages=process.ordered_stages,
        cadences=[(c, _touch_rows(c), _capital(c.applies_to.audience)) for c in process.cadences],
        others=others if shown is current else [],
        versions=list_versions(store),
    )


def _touch_rows(cadence: Cadence) -> list[TouchRow]:
    """Each touch with its day from the cadence's start, when every wait is kept."""
    return [
        TouchRow(n, day, touch)
        for n, (day, touch) in enumerate(zip(cadence.due_days, cadence.touches, strict=True), 1)
    ]


def _capital(text: str) -> str:
    """The first letter upper case, the rest as written (a stage name keeps its case)."""
    return text[:1].upper() + text[1:]
