"""A deal as every list of deals shows it: name, account, owner, stage, amount, close date.

The quiet deals, the integrity flags, the stalled deals, a waterfall bar's deals, a rep's open
deals and the opportunities list all show a deal in this one shape (:data:`DEAL_FIELDS`): named
for the person reading, with the ids kept for links. An analysis that picks deals by id (the
snapshot's flags, the waterfall's bars) names them with :func:`deal_rows`, one query per chunk of
ids; a query that picks them in SQL selects :func:`deal_select` and reads each row with
:func:`deal_row`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from rightturn.crm.model import Account, Opportunity, Rep
from rightturn.crm.scope import Scope
from rightturn.crm.store import chunks

__all__ = ["DEAL_FIELDS", "deal_row", "deal_rows", "deal_select"]

# ``account`` and ``owner`` are the names; ``status`` is open, won or lost.
DEAL_FIELDS = (
    "opportunity_id",
    "name",
    "account_id",
    "account",
    "owner_rep_id",
    "owner",
    "stage",
    "status",
    "amount",
    "close_date",
)


def deal_select(*extra: Any) -> Select[Any]:
    """The :data:`DEAL_FIELDS` of opportunities (then ``extra`` columns), joined to their
    account and owner for the names."""
    return (
        select(
            Opportunity.opportunity_id,
            Opportunity.name,
            Opportunity.account_id,
            Account.name,
            Opportunity.owner_rep_id,
            Rep.name,
            Opportunity.stage,
            Opportunity.status,
            Opportunity.amount,
            Opportunity.close_date,
            *extra,
        )
        .outerjoin(Account, Account.account_id == Opportunity.account_id)
        .outerjoin(Rep, Rep.rep_id == Opportunity.owner_rep_id)
    )


def deal_row(values: Sequence[Any]) -> dict[str, Any]:
    """A :func:`deal_select` row's deal fields as a JSON-ready dict (extra columns left out)."""
    row = dict(zip(DEAL_FIELDS, values, strict=False))
    if row["amount"] is not None:
        row["amount"] = float(row["amount"])
    return row


def deal_rows(s: Session, ids: Iterable[str], scope: Scope | None = None) -> list[dict[str, Any]]:
    """The deals ``ids`` names, in that order; an id outside ``scope`` (or unknown) is left out."""
    wanted = list(dict.fromkeys(ids))
    visible = (scope or Scope.everything()).reps(Opportunity.owner_rep_id)
    found: dict[str, dict[str, Any]] = {}
    for chunk in chunks(wanted):
        query = deal_select().where(Opportunity.opportunity_id.in_(chunk), visible)
        for values in s.execute(query):
            found[values[0]] = deal_row(values)
    return [found[oid] for oid in wanted if oid in found]
