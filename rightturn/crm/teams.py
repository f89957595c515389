"""Teams as people write them: ``East 1``, ``east 1`` and ``east-1`` are one team.

A team is stored under an id (the imports make it from the name: ``East 1`` -> ``east-1``) and
shown by its name. Every place that takes a team from a person (``users add --team``,
``whatif --team``, the panel's what-if form) resolves it here, so each accepts the same spellings
and fails with the same message, which lists the teams there are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from rightturn.crm.imports.values import slug
from rightturn.crm.model import Rep, Team
from rightturn.crm.scope import Scope
from rightturn.errors import Conflict, NotFound

__all__ = ["find_team"]

_LISTED = 20  # teams named in a "no team" message; more are counted, not listed


def _words(value: str) -> str:
    """Case- and spacing-insensitive: ``" East  1 "`` -> ``"east 1"``."""
    return " ".join(value.split()).casefold()


def _label(team: Team) -> str:
    """How a message names a team, as it could be typed: ``"East 1" (id east-1)``."""
    return f'"{team.name}" (id {team.team_id})'


def find_team(session: Session, given: str, scope: Scope | None = None) -> Team:
    """The team ``given`` names: its id, its name (any case and spacing) or the slug of either.

    With a ``scope``, only teams with a rep the viewer may see count, so the message names no
    team the viewer could not otherwise learn of. Raises ``NotFound`` (listing the teams) when
    nothing matches and ``Conflict`` when a spelling fits two teams.
    """
    query = select(Team)
    if scope is not None and not scope.is_everything:
        query = query.where(Team.team_id.in_(select(Rep.team_id).where(scope.reps(Rep.rep_id))))
    teams = sorted(session.scalars(query), key=lambda t: (_words(t.name), t.team_id))
    words, key = _words(given), slug(given)
    # Most exact first, so a team whose id is another's name slug is still reachable by its id.
    tests: Sequence[Callable[[Team], bool]] = (
        lambda t: t.team_id == given.strip(),
        lambda t: words in (_words(t.team_id), _words(t.name)),
        lambda t: bool(key) and key in (slug(t.team_id), slug(t.name)),
    )
    for test in tests:
        found = [t for t in teams if test(t)]
        if len(found) == 1:
            return found[0]
        if found:
            named = ", ".join(_label(t) for t in found)
            raise Conflict(f"team {given!r} could be any of {named}: give the id")
    raise NotFound(_not_found(given, teams))


def _not_found(given: str, teams: list[Team]) -> str:
    if not teams:
        return (
            f"no team {given!r}: there are no teams yet; they come from the `team` column of "
            "reps.csv (`rightturn import crm DIR`)"
        )
    listed = ", ".join(_label(t) for t in teams[:_LISTED])
    more = (
        f" and {len(teams) - _LISTED:,} more (`rightturn summary`)" if len(teams) > _LISTED else ""
    )
    return f"no team {given!r}: give a team's name or id; the teams are {listed}{more}"
