"""The glossary: every figure the panel shows, what it counts and over which window, drawn
from the one registry the pages' tooltips read (:mod:`rightturn.analytics.definitions`)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from rightturn.analytics.definitions import FIGURES, WINDOWS
from rightturn.web.pages.base import Who, render, router


@router.get("/glossary", response_class=HTMLResponse)
def glossary(request: Request, who: Who) -> HTMLResponse:
    figures = [f for f in FIGURES.values() if f.window]
    terms = [f for f in FIGURES.values() if not f.window]
    return render(request, "glossary.html", figures=figures, terms=terms, windows=WINDOWS)
