"""Whose touches a Return-on-Effort figure counts: the viewer's scope, narrowed to one team or
one rep, as ``rightturn effort --team/--rep`` and the Effort page's filters name them."""

from __future__ import annotations

from sqlalchemy import select

from rightturn.crm.model import Rep
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.crm.teams import find_team
from rightturn.process.today import resolve_rep

__all__ = ["whose_touches"]


def whose_touches(
    store: Store, scope: Scope, *, rep: str | None = None, team: str | None = None
) -> tuple[Scope, str | None]:
    """``scope`` narrowed to ``team`` (its name or id), then to ``rep`` (an id or a unique
    name), and how a title names what is left ("team East 1", "Mei Thompson"; None when
    nothing narrowed it). Each is looked up among what ``scope`` sees: one outside it is
    NotFound, as every out-of-scope record is."""
    label = None
    with store.session() as s:
        if team:
            found = find_team(s, team, scope)
            members = frozenset(s.scalars(select(Rep.rep_id).where(Rep.team_id == found.team_id)))
            scope = Scope(members if scope.rep_ids is None else members & scope.rep_ids)
            label = f"team {found.name}"
    if rep:
        rep_id = resolve_rep(store, rep, scope)
        with store.session() as s:
            label = s.scalar(select(Rep.name).where(Rep.rep_id == rep_id)) or rep_id
        scope = Scope(frozenset({rep_id}))
    return scope, label
