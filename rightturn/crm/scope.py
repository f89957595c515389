"""Which records a viewer may see: the one rule every query for a person applies.

A rep sees their own rep's activities and opportunities; a manager those of the reps on their
team (and their own); an admin everything. Accounts and contacts are visible through what is:
an account where a visible rep owns a deal or logged an activity, and that account's contacts.
Queries take a :class:`Scope` and filter in SQL, so nothing outside it is ever loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from rightturn.crm.model import Activity, Opportunity, Rep

__all__ = ["Scope", "scope_for"]


@dataclass(frozen=True)
class Scope:
    """The reps whose records a viewer sees; ``rep_ids`` None means all of them."""

    rep_ids: frozenset[str] | None

    @classmethod
    def everything(cls) -> Scope:
        return cls(None)

    @property
    def is_everything(self) -> bool:
        return self.rep_ids is None

    def sees_rep(self, rep_id: str | None) -> bool:
        """Whether records of this rep (None: of no rep) are visible."""
        if self.rep_ids is None:
            return True
        return rep_id is not None and rep_id in self.rep_ids

    def reps(self, column: Any) -> ColumnElement[bool]:
        """A WHERE clause keeping rows whose rep column is visible."""
        if self.rep_ids is None:
            return true()
        if not self.rep_ids:
            return false()
        return column.in_(sorted(self.rep_ids))

    def accounts(self, column: Any) -> ColumnElement[bool]:
        """A WHERE clause keeping rows whose account is visible."""
        if self.rep_ids is None:
            return true()
        owned = select(Opportunity.account_id).where(self.reps(Opportunity.owner_rep_id))
        worked = select(Activity.account_id).where(
            self.reps(Activity.rep_id), Activity.account_id.is_not(None)
        )
        return or_(column.in_(owned), column.in_(worked))


def scope_for(session: Session, role: str, rep_id: str | None, team_id: str | None) -> Scope:
    """The scope of a user with this role, rep and team."""
    if role == "admin":
        return Scope.everything()
    reps: set[str] = {rep_id} if rep_id else set()
    if role == "manager" and team_id:
        reps |= set(session.scalars(select(Rep.rep_id).where(Rep.team_id == team_id)))
    return Scope(frozenset(reps))
