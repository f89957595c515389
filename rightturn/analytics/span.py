"""The dates the data covers, so a page asked about a day outside them can say so.

"No deals as of 1999-01-01; the data starts 2025-12-02" tells a manager what happened; "import
the CRM" would send them to fix a store that is fine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rightturn.crm.model import Activity, Opportunity
from rightturn.crm.queries import aware
from rightturn.crm.scope import Scope

__all__ = ["QUIET_GRACE", "DataSpan", "data_span"]

QUIET_GRACE = 3  # days past the data's last day that a page passes over in silence (a weekend)


@dataclass(frozen=True)
class DataSpan:
    """The first and last day anything happened in the data a viewer sees (None: no data)."""

    first: date | None
    last: date | None

    def before(self, as_of: datetime) -> bool:
        """``as_of`` is a day before the first in the data."""
        return self.first is not None and as_of.date() < self.first

    def after(self, as_of: datetime) -> bool:
        """``as_of`` is more than :data:`QUIET_GRACE` days after the last day in the data: a
        live org's data always ends a little before today (today not yet captured, a weekend),
        which is no news; a longer gap is (a date past the data, or capture has stopped)."""
        return self.last is not None and (as_of.date() - self.last).days > QUIET_GRACE


def data_span(s: Session, scope: Scope) -> DataSpan:
    """The first and last dates of the viewer's deals (created, closed) and activities."""
    deals = s.execute(
        select(
            func.min(Opportunity.created_at),
            func.max(Opportunity.created_at),
            func.max(Opportunity.closed_at),
        ).where(scope.reps(Opportunity.owner_rep_id))
    ).one()
    activity = s.execute(
        select(func.min(Activity.occurred_at), func.max(Activity.occurred_at)).where(
            scope.reps(Activity.rep_id)
        )
    ).one()
    firsts = [aware(v) for v in (deals[0], activity[0]) if v is not None]
    lasts = [aware(v) for v in (deals[1], deals[2], activity[1]) if v is not None]
    return DataSpan(min(firsts).date() if firsts else None, max(lasts).date() if lasts else None)
