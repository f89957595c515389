"""A stage's entry and exit criteria, evaluated on the data as of a moment.

The process file writes criteria in words (:data:`~rightturn.process.definition.CRITERIA`); this
module says whether a deal met each one by a given time, from what was captured and imported:

* **amount set**, **close date set**: the deal's field as it stood then, replayed from its field
  history (``opportunity_history``), else its current value when the history never changed it;
* **a buyer reply**: a buyer contact wrote or called (an inbound email or call);
* **a meeting with a buyer held**: a meeting that took place with a buyer contact invited who
  did not decline;
* **at least N buyer contacts engaged**: N different buyer contacts wrote, called or met.

Evidence counts when it is filed on the deal, or on its account and on no deal, from
:data:`PRE_DEAL_DAYS` before the deal was created: prospecting work on an account is what
qualifies the deal it turns into. Criteria are met when the evidence is there by the end of the
day after the advance (:data:`GRACE`), as a rep often moves the stage on the same day as the
meeting that justified it, in either order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rightturn.crm.model import (
    Activity,
    ActivityParticipant,
    Opportunity,
    OpportunityChange,
)
from rightturn.crm.scope import Scope
from rightturn.process.definition import Criterion

__all__ = ["GRACE", "PRE_DEAL_DAYS", "Evidence", "read_evidence"]

PRE_DEAL_DAYS = 90
GRACE = timedelta(days=1)


@dataclass
class Evidence:
    """What one deal had, with when: replies, meetings held and engaged contacts, and its
    amount and close date with their changes."""

    created_at: datetime | None
    amount_now: bool
    close_now: bool
    # field -> [(changed_at, was set before, is set after)]
    changes: dict[str, list[tuple[datetime, bool, bool]]] = field(default_factory=dict)
    replies: list[datetime] = field(default_factory=list)
    meetings: list[datetime] = field(default_factory=list)
    engaged: list[tuple[datetime, str]] = field(default_factory=list)

    def _set_at(self, name: str, now: bool, at: datetime) -> bool:
        changes = sorted(self.changes.get(name, []))
        before = [c for c in changes if c[0] <= at]
        if before:
            return before[-1][2]
        return changes[0][1] if changes else now

    def met(self, criterion: Criterion, at: datetime) -> bool:
        """Whether the deal met ``criterion`` by ``at`` (with :data:`GRACE`)."""
        by = at + GRACE
        if criterion.kind == "amount_set":
            return self._set_at("amount", self.amount_now, by)
        if criterion.kind == "close_date_set":
            return self._set_at("close_date", self.close_now, by)
        if criterion.kind == "buyer_reply":
            return any(t <= by for t in self.replies)
        if criterion.kind == "meeting_held":
            return any(t <= by for t in self.meetings)
        contacts = {c for t, c in self.engaged if t <= by}
        return len(contacts) >= criterion.at_least


def _filled(value: str | None) -> bool:
    return value is not None and value.strip() not in ("", "0", "0.00", "None")


def read_evidence(
    session: Session, scope: Scope, *, until: datetime, rep_id: str | None = None
) -> dict[str, Evidence]:
    """The evidence of every opportunity in ``scope`` (of one rep's, with ``rep_id``) created by
    ``until``, each counted up to ``until``."""
    deals = select(Opportunity.opportunity_id).where(
        scope.reps(Opportunity.owner_rep_id),
        Opportunity.created_at <= until,
        *([Opportunity.owner_rep_id == rep_id] if rep_id else []),
    )
    out: dict[str, Evidence] = {}
    by_account: dict[str, list[str]] = defaultdict(list)
    for opp, account, created, amount, close in session.execute(
        select(
            Opportunity.opportunity_id,
            Opportunity.account_id,
            Opportunity.created_at,
            Opportunity.amount,
            Opportunity.close_date,
        ).where(Opportunity.opportunity_id.in_(deals))
    ):
        out[opp] = Evidence(created, amount is not None and amount > 0, close is not None)
        if account:
            by_account[account].append(opp)
    for opp, name, old, new, at in session.execute(
        select(
            OpportunityChange.opportunity_id,
            OpportunityChange.field,
            OpportunityChange.old_value,
            OpportunityChange.new_value,
            OpportunityChange.changed_at,
        ).where(
            OpportunityChange.opportunity_id.in_(deals),
            OpportunityChange.field.in_(("amount", "close_date")),
            OpportunityChange.changed_at <= until,
        )
    ):
        out[opp].changes.setdefault(name, []).append((at, _filled(old), _filled(new)))
    accounts = select(Opportunity.account_id).where(Opportunity.opportunity_id.in_(deals))
    # A buyer's own email or call (not a derived buyer action: every org captures these, while
    # what counts as "a response" is a later judgement).
    answers = select(
        Activity.opportunity_id, Activity.account_id, Activity.occurred_at, Activity.contact_id
    ).where(
        Activity.kind.in_(("email", "call")),
        Activity.direction == "inbound",
        Activity.contact_id.is_not(None),
        Activity.occurred_at <= until,
    )
    meetings = (
        select(
            Activity.opportunity_id,
            Activity.account_id,
            Activity.occurred_at,
            ActivityParticipant.contact_id,
        )
        .join(ActivityParticipant, ActivityParticipant.activity_id == Activity.activity_id)
        .where(
            Activity.kind == "meeting",
            Activity.occurred_at <= until,
            ActivityParticipant.contact_id.is_not(None),
            ActivityParticipant.response.is_distinct_from("declined"),
        )
    )
    for q, is_meeting in ((answers, False), (meetings, True)):
        rows = [
            *session.execute(q.where(Activity.opportunity_id.in_(deals))),
            *session.execute(
                q.where(Activity.opportunity_id.is_(None), Activity.account_id.in_(accounts))
            ),
        ]
        for row in rows:
            targets = [row[0]] if row[0] else by_account.get(row[1], [])
            for opp in targets:
                _add(out[opp], row, is_meeting=is_meeting)
    return out


def _add(evidence: Evidence, row: tuple, *, is_meeting: bool) -> None:
    at = row[2]
    created = evidence.created_at
    if created is not None and at < created - timedelta(days=PRE_DEAL_DAYS):
        return
    (evidence.meetings if is_meeting else evidence.replies).append(at)
    evidence.engaged.append((at, row[3]))
