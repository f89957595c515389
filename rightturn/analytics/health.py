"""Pipeline integrity and velocity: which open deals to question, and how fast deals move.

Integrity flags, each with the deals behind it (open deals as of the snapshot):

* ``past_close_date`` — the expected close date has passed;
* ``no_buyer_activity`` — no buyer response (reply, call-back, accepted meeting, stage advance)
  in the last ``quiet_days`` days;
* ``skipped_stages`` — entered a stage more than one step past the one before it;
* ``moved_backwards`` — entered an earlier stage than the one before it;
* ``close_date_pushed`` — the close date was moved later (with the number of pushes);
* ``single_contact`` — one contact or none in the buying group (roles and people engaged).

Velocity: time in each stage (median and P90 over completed stays), deals stalled beyond their
current stage's P90, and sales velocity = open deals x win rate x average deal / cycle length
(value per day).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func, or_, select, union
from sqlalchemy.orm import Session

from rightturn.analytics.metrics import _num, headline
from rightturn.analytics.snapshot import Snapshot
from rightturn.crm.deals import deal_rows
from rightturn.crm.model import Activity, BuyerAction, Opportunity, OpportunityContact
from rightturn.crm.scope import Scope

__all__ = [
    "FLAGS",
    "contacts_per_deal",
    "in_stage",
    "integrity",
    "responded_since",
    "stage_times",
    "velocity",
]

FLAGS = (
    "past_close_date",
    "no_buyer_activity",
    "skipped_stages",
    "moved_backwards",
    "close_date_pushed",
    "single_contact",
)


def _deal_rows(
    deals: pd.DataFrame, extra: dict[str, pd.Series] | None = None, limit: int | None = None
) -> list[dict]:
    """The deals as JSON-ready rows, largest first, at most ``limit``: their stage, amount and
    close date as of the snapshot, not named yet (:func:`_named`)."""
    columns = ["opportunity_id", "account_id", "owner_rep_id", "rep", "stage", "status"]
    out = deals[[*columns, "amount", "close_date"]]
    out = out.sort_values(["amount", "opportunity_id"], ascending=[False, True])
    if limit:
        out = out.head(limit)
    out = out.copy()
    for name, values in (extra or {}).items():
        out[name] = out["opportunity_id"].map(values)
    out["close_date"] = out["close_date"].dt.date
    return [
        {k: (None if pd.isna(v) else v) for k, v in row.items()}
        for row in out.to_dict(orient="records")
    ]


def _named(s: Session, lists: list[list[dict]]) -> list[list[dict]]:
    """The rows in the shape of every list of deals (:data:`~rightturn.crm.deals.DEAL_FIELDS`,
    then the list's own columns), named with one lookup for all the lists. The owner's name was
    the key ``rep`` first; it stays."""
    ids = (row["opportunity_id"] for rows in lists for row in rows)
    names = {d["opportunity_id"]: d for d in deal_rows(s, ids)}

    def named(row: dict) -> dict:
        crm = names.get(row["opportunity_id"], {})
        return {
            "opportunity_id": row["opportunity_id"],
            "name": crm.get("name"),
            "account_id": row["account_id"],
            "account": crm.get("account"),
            "owner_rep_id": row["owner_rep_id"],
            "owner": row["rep"],
            **row,
        }

    return [[named(row) for row in rows] for rows in lists]


def integrity(
    s: Session, snap: Snapshot, *, quiet_days: int = 14, limit: int | None = None
) -> dict[str, dict[str, Any]]:
    """Each flag: ``count``, ``value`` and the ``deals`` (largest first, ``limit`` of them)."""
    open_ = snap.open
    ids = set(open_["opportunity_id"])
    today = pd.Timestamp(snap.as_of.date())
    flagged: dict[str, tuple[pd.DataFrame, dict[str, pd.Series]]] = {}

    flagged["past_close_date"] = (open_[open_["close_date"] < today], {})

    key = ("responded", quiet_days)
    if key not in snap.memo:
        snap.memo[key] = responded_since(s, snap.as_of, quiet_days)
    recent = snap.memo[key]
    flagged["no_buyer_activity"] = (open_[~open_["opportunity_id"].isin(recent)], {})

    # Steps between open stages only: closing a deal (won or lost, from any stage) is no skip.
    open_rank = {stage: i for i, stage in enumerate(snap.open_stages)}
    moves = snap.stages[
        snap.stages["opportunity_id"].isin(ids) & snap.stages["stage"].isin(open_rank)
    ].copy()
    moves["open_rank"] = moves["stage"].map(open_rank).astype(float)
    moves["previous_rank"] = moves.groupby("opportunity_id")["open_rank"].shift(1)
    step = moves["open_rank"] - moves["previous_rank"]
    skipped = moves[step > 1].groupby("opportunity_id").size()
    backwards = moves[step < 0].groupby("opportunity_id").size()
    flagged["skipped_stages"] = (
        open_[open_["opportunity_id"].isin(skipped.index)],
        {"skips": skipped},
    )
    flagged["moved_backwards"] = (
        open_[open_["opportunity_id"].isin(backwards.index)],
        {"moves_back": backwards},
    )

    dates = snap.changes[
        (snap.changes["field"] == "close_date") & snap.changes["opportunity_id"].isin(ids)
    ]
    later = pd.to_datetime(dates["new_value"], errors="coerce") > pd.to_datetime(
        dates["old_value"], errors="coerce"
    )
    pushes = dates[later].groupby("opportunity_id").size()
    flagged["close_date_pushed"] = (
        open_[open_["opportunity_id"].isin(pushes.index)],
        {"pushes": pushes},
    )

    if "contacts_per_deal" not in snap.memo:
        snap.memo["contacts_per_deal"] = contacts_per_deal(s, snap.as_of)
    people: pd.Series = snap.memo["contacts_per_deal"]
    single = open_[open_["opportunity_id"].map(people).fillna(0) <= 1]
    flagged["single_contact"] = (single, {"contacts": people})

    listed = _named(s, [_deal_rows(*flagged[flag], limit) for flag in FLAGS])
    return {
        flag: {
            "count": len(flagged[flag][0]),
            "value": _num(flagged[flag][0]["amount"].sum(), 2),
            "deals": rows,
        }
        for flag, rows in zip(FLAGS, listed, strict=True)
    }


def responded_since(s: Session, as_of: datetime, days: int, scope: Scope | None = None) -> set[str]:
    """Visible deals with a buyer response in the ``days`` before ``as_of``."""
    cutoff = as_of - timedelta(days=days)
    query = select(BuyerAction.opportunity_id).where(
        BuyerAction.occurred_at >= cutoff, BuyerAction.occurred_at <= as_of
    )
    if scope is not None and not scope.is_everything:
        owned = select(Opportunity.opportunity_id).where(scope.reps(Opportunity.owner_rep_id))
        query = query.where(BuyerAction.opportunity_id.in_(owned))
    return set(s.scalars(query.distinct()))


def contacts_per_deal(s: Session, as_of: datetime, scope: Scope | None = None) -> pd.Series:
    """Distinct contacts per visible deal open at ``as_of``: contact roles plus people engaged in
    its activity by then, counted in SQL over only those deals."""
    live = select(Opportunity.opportunity_id).where(
        or_(Opportunity.status == "open", Opportunity.closed_at > as_of),
        (scope or Scope.everything()).reps(Opportunity.owner_rep_id),
    )
    pairs = union(
        select(OpportunityContact.opportunity_id, OpportunityContact.contact_id).where(
            OpportunityContact.opportunity_id.in_(live)
        ),
        select(Activity.opportunity_id, Activity.contact_id).where(
            Activity.opportunity_id.in_(live),
            Activity.contact_id.is_not(None),
            Activity.occurred_at <= as_of,
        ),
    ).subquery()
    counts = s.execute(
        select(pairs.c.opportunity_id, func.count()).group_by(pairs.c.opportunity_id)
    ).all()
    return pd.Series({opp: n for opp, n in counts}, dtype=float)


def stage_times(snap: Snapshot) -> pd.DataFrame:
    """Days spent in each open stage: ``stage, stays, median_days, p90_days`` over completed
    stays (the deal moved on), in process order."""
    stays = snap.stages[snap.stages["stage"].isin(snap.open_stages)].dropna(subset=["left_at"])
    days = (stays["left_at"] - stays["entered_at"]).dt.total_seconds() / 86400
    grouped = days.groupby(stays["stage"])
    table = pd.DataFrame(
        {
            "stays": grouped.size(),
            "median_days": grouped.median(),
            "p90_days": grouped.quantile(0.9),
        }
    )
    table = table.reindex([s for s in snap.open_stages if s in table.index])
    return table.reset_index(names="stage")


def in_stage(snap: Snapshot) -> pd.DataFrame:
    """The open deals with ``days_in_stage`` (since they entered their current stage) and
    ``stage_p90`` (their stage's P90 over completed stays, :func:`stage_times`): a deal is
    stalled when the first exceeds the second. The guided day reads the same columns."""
    p90 = stage_times(snap).set_index("stage")["p90_days"]
    current = snap.stages.drop_duplicates("opportunity_id", keep="last").set_index(
        "opportunity_id"
    )["entered_at"]
    open_ = snap.open.copy()
    # reindex, not map: map over no rows tries to turn timestamps into floats.
    entered = pd.to_datetime(
        current.reindex(open_["opportunity_id"]).set_axis(open_.index), utc=True
    )
    open_["days_in_stage"] = (pd.Timestamp(snap.as_of) - entered).dt.total_seconds() / 86400
    open_["stage_p90"] = open_["stage"].map(p90).astype(float)
    return open_


def velocity(s: Session, snap: Snapshot, *, limit: int | None = None) -> dict[str, Any]:
    """Time in stage, stalled deals (in their stage longer than its P90) and sales velocity."""
    times = stage_times(snap)
    open_ = in_stage(snap)
    stalled = open_[open_["days_in_stage"] > open_["stage_p90"]]
    overall = headline(snap)  # the same figures as every page's, over all closed deals
    rate, deal, cycle = overall["win_rate"], overall["avg_deal"], overall["cycle_days_median"]
    per_day = len(open_) * rate * deal / cycle if rate and deal and cycle else None
    by_deal = stalled.set_index("opportunity_id")
    extra = {
        "days_in_stage": by_deal["days_in_stage"].round(1),
        "stage_p90_days": by_deal["stage_p90"].round(1),
    }
    [rows] = _named(s, [_deal_rows(stalled, extra, limit)])
    return {
        "stage_times": [
            {
                "stage": r.stage,
                "stays": int(r.stays),
                "median_days": _num(r.median_days, 1),
                "p90_days": _num(r.p90_days, 1),
            }
            for r in times.itertuples()
        ],
        "stalled": {
            "count": len(stalled),
            "value": _num(stalled["amount"].sum(), 2),
            "deals": rows,
        },
        "sales_velocity_per_day": _num(per_day, 2),
        "sales_velocity_per_month": _num(per_day * 30 if per_day else None, 2),
        "velocity_inputs": {
            "open_deals": len(open_),
            "win_rate": rate,
            "avg_deal": deal,
            "cycle_days": cycle,
        },
    }
