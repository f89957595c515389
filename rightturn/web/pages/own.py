"""Whose pages: a manager's are about the team, a rep's about the rep.

A rep's panel opens on their week (``/``), their pipeline (``/my/pipeline``) and their deals
needing attention (``/my/deals``). Team pages answer a rep with their own equivalent: the
Pipeline page and the Reps list redirect to the rep's pages; Top performers, a ranking that
would rank them alone, says so and points to their pages.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from rightturn.crm.scope import Scope
from rightturn.web.pages.base import render
from rightturn.web.security import Viewer

__all__ = ["is_rep", "own_scope", "team_page_for_rep", "to_own_page"]


def is_rep(who: Viewer) -> bool:
    """Whether the viewer signed in as a rep (their panel is about themselves)."""
    return who.account.role == "rep" and who.account.rep_id is not None


def own_scope(rep_id: str) -> Scope:
    """Only this rep's records: a rep's own pages show them alone, whoever else they may see."""
    return Scope(frozenset({rep_id}))


def to_own_page(request: Request, path: str) -> RedirectResponse:
    """A rep's way from a team page to their own (the query string, such as ``as_of``, kept)."""
    query = request.url.query
    return RedirectResponse(path + ("?" + query if query else ""), status_code=303)


def team_page_for_rep(request: Request, page: str, what: str) -> HTMLResponse:
    """The answer a rep gets on a team-only page: what the page is for, and their own pages.

    403: the page is not theirs to see, but the answer is a page of the panel, not an error."""
    return render(request, "team_only.html", http_status=403, page=page, what=what)
