"""Top performers, what they do differently, the prospecting a quota needs, and what-if math.

* **Pareto**: reps ranked by won value; the top fifth's share of revenue, and how the top group
  differs from the rest on activity mix (per rep-month), buyer response rate (buyer responses /
  outbound activities), deals worked at once (open deal-days / days), cycle time, deal size and
  win rate.
* **What-if (top)**: the revenue if the rest matched the top group on a metric — ``win_rate``
  (their closed deals won at the top rate, at their own deal size) or ``avg_deal`` (their wins at
  the top deal size).
* **What-if (change)**: a win rate moving from x to y for the org or a team: the revenue the same
  closed deals would bring, and the pipeline and qualified opportunities no longer needed for the
  same quota.
* **Prospecting need** per rep and month: wins needed = monthly quota / average deal; qualified
  opportunities = wins / win rate; first conversations = qualified / the first stage's
  conversion.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rightturn.analytics.metrics import _cycle, _num, conversion, rep_table
from rightturn.analytics.snapshot import Snapshot
from rightturn.crm.model import Activity, BuyerAction
from rightturn.crm.scope import Scope
from rightturn.errors import ParseError

__all__ = [
    "RATE_BOUNDS",
    "WHATIF_METRICS",
    "activity_counts",
    "pareto",
    "prospecting_need",
    "rate_input",
    "whatif_change",
    "whatif_rates",
    "whatif_top",
    "win_rate_input",
]

WHATIF_METRICS = ("win_rate", "avg_deal")
# The win rates a what-if takes: no team wins none or all of its deals, and at 1e-9 the
# pipeline "needed" is a number with eighteen digits that means nothing.
RATE_BOUNDS = (0.01, 0.99)
_RESPONSES = ("reply", "call_back", "meeting_accepted")


def activity_counts(s: Session, scope: Scope, as_of: datetime) -> tuple[pd.DataFrame, pd.Series]:
    """Outbound activities per rep and kind, and buyer responses per rep, up to ``as_of``.

    Independent of the snapshot, so :func:`~rightturn.analytics.report.metrics_report` can run
    it on another connection while the snapshot loads."""
    activity = pd.DataFrame(
        s.execute(
            select(Activity.rep_id, Activity.kind, func.count())
            .where(
                scope.reps(Activity.rep_id),
                Activity.rep_id.is_not(None),
                Activity.direction == "outbound",
                Activity.occurred_at <= as_of,
            )
            .group_by(Activity.rep_id, Activity.kind)
        ).all(),
        columns=["rep_id", "kind", "n"],
    )
    rows = s.execute(
        select(BuyerAction.rep_id, func.count())
        .where(
            scope.reps(BuyerAction.rep_id),
            BuyerAction.kind.in_(_RESPONSES),
            BuyerAction.occurred_at <= as_of,
        )
        .group_by(BuyerAction.rep_id)
    ).all()
    responses = pd.Series({rep: n for rep, n in rows}, dtype=float)
    return activity, responses


def _features(s: Session, snap: Snapshot, scope: Scope | None = None) -> pd.DataFrame:
    """Per rep who owns a deal: activity mix, response rate, concurrency, cycle, size, win rate."""
    reps = rep_table(snap).set_index("rep_id")
    if "activity_counts" not in snap.memo:
        snap.memo["activity_counts"] = activity_counts(s, scope or Scope.everything(), snap.as_of)
    activity, responses = snap.memo["activity_counts"]
    activity = activity[activity["rep_id"].isin(reps.index)]
    mix = activity.pivot_table(index="rep_id", columns="kind", values="n", fill_value=0)
    deals = snap.deals
    start = deals["created_at"].min()
    span_days = max((pd.Timestamp(snap.as_of) - start).total_seconds() / 86400, 1.0)
    months = span_days / 30.44
    ends = deals["closed_at"].fillna(pd.Timestamp(snap.as_of))
    deal_days = ((ends - deals["created_at"]).dt.total_seconds() / 86400).clip(lower=0)
    # The sales cycle as every page defines it: days from creation to a win.
    won = snap.closed[snap.closed["status"] == "won"]
    cycle = _cycle(won)
    out = pd.DataFrame(index=reps.index)
    out["name"] = reps["name"]
    out["won_value"] = reps["won_value"]
    for kind in ("email", "call", "meeting"):
        count = mix[kind] if kind in mix.columns else pd.Series(dtype=float)
        out[f"{kind}s_per_month"] = count.reindex(out.index).fillna(0) / months
    outbound = mix.sum(axis=1).reindex(out.index).fillna(0) if len(mix) else out["won_value"] * 0
    out["buyer_response_rate"] = (responses.reindex(out.index).fillna(0) / outbound).where(
        outbound > 0
    )
    out["deals_at_once"] = deal_days.groupby(deals["owner_rep_id"]).sum() / span_days
    out["cycle_days"] = cycle.groupby(won["owner_rep_id"]).median()
    out["avg_deal"] = reps["avg_deal"]
    out["win_rate"] = reps["win_rate"]
    out["closed"] = reps["won"] + reps["lost"]
    return out


_COMPARED = (
    "emails_per_month",
    "calls_per_month",
    "meetings_per_month",
    "buyer_response_rate",
    "deals_at_once",
    "cycle_days",
    "avg_deal",
    "win_rate",
)


def pareto(s: Session, snap: Snapshot, scope: Scope | None = None) -> dict[str, Any]:
    """The top fifth's share of revenue, the cumulative curve, and top vs rest."""
    f = _features(s, snap, scope).sort_values(["won_value", "name"], ascending=[False, True])
    total = f["won_value"].sum()
    n = len(f)
    top_n = max(1, round(n * 0.2)) if n else 0
    f["top"] = False
    if top_n:
        f.iloc[:top_n, f.columns.get_loc("top")] = True
    top, rest = f[f["top"]], f[~f["top"]]
    comparison = []
    for name in _COMPARED:
        a, b = top[name].mean(), rest[name].mean()
        comparison.append(
            {
                "metric": name,
                "top": _num(a),
                "rest": _num(b),
                "ratio": _num(a / b) if b and not pd.isna(b) and b != 0 else None,
            }
        )
    cumulative = (f["won_value"].cumsum() / total) if total else f["won_value"] * 0
    return {
        "reps": n,
        "top_reps": top_n,
        "top20_revenue_share": _num(top["won_value"].sum() / total) if total else None,
        "curve": [
            {
                "rank": i + 1,
                "rep_id": rep_id,
                "name": name,
                "won_value": _num(value, 2),
                "cumulative_share": _num(share),
            }
            for i, (rep_id, name, value, share) in enumerate(
                zip(f.index, f["name"], f["won_value"], cumulative.tolist(), strict=True)
            )
        ],
        "top_rep_ids": list(top.index),
        "comparison": comparison,
        "whatif": {m: whatif_top(snap, f, m) for m in WHATIF_METRICS},
    }


def whatif_top(snap: Snapshot, features: pd.DataFrame, metric: str) -> dict[str, Any]:
    """Revenue if the rest of the reps matched the top group's ``metric``."""
    if metric not in WHATIF_METRICS:
        raise ParseError(f"metric {metric!r} is not one of {', '.join(WHATIF_METRICS)}")
    top, rest = features[features["top"]], features[~features["top"]]
    closed = snap.closed
    won = closed[closed["status"] == "won"]
    rest_closed = closed[closed["owner_rep_id"].isin(rest.index)]
    rest_won = won[won["owner_rep_id"].isin(rest.index)]
    top_closed = closed[closed["owner_rep_id"].isin(top.index)]
    top_won = won[won["owner_rep_id"].isin(top.index)]
    actual = float(won["amount"].sum())
    rest_actual = float(rest_won["amount"].sum())
    if metric == "win_rate":
        top_rate = len(top_won) / len(top_closed) if len(top_closed) else None
        rest_deal = rest_won["amount"].mean() if len(rest_won) else closed["amount"].mean()
        rest_new = len(rest_closed) * top_rate * rest_deal if top_rate is not None else None
        top_value = top_rate
    else:
        top_deal = top_won["amount"].mean() if len(top_won) else None
        rest_new = len(rest_won) * top_deal if top_deal is not None else None
        top_value = top_deal
    if rest_new is None or pd.isna(rest_new):
        return {"metric": metric, "top_value": None, "revenue": _num(actual, 2), "uplift": None}
    revenue = actual - rest_actual + max(float(rest_new), rest_actual)
    return {
        "metric": metric,
        "top_value": _num(top_value),
        "actual_revenue": _num(actual, 2),
        "revenue": _num(revenue, 2),
        "uplift": _num(revenue - actual, 2),
        "uplift_share": _num((revenue - actual) / actual) if actual else None,
    }


def rate_input(
    name: str, value: str | float, *, noun: str = "win rate", example: float = 0.33
) -> float:
    """A rate or a share as a person writes it, ``33%`` or ``0.33``; a number above 1 without
    ``%`` is refused (is ``33`` meant as 33%?). The caller bounds it; ``name`` says which rate
    in the refusal ("today's win rate"), ``noun`` what it is and ``example`` one to write."""
    text = str(value).strip()
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip().replace(",", "."))
    except ValueError:
        number = math.nan
    said = f"{example:.0%} or {example:g}"
    if not math.isfinite(number):
        raise ParseError(f"{name} {text!r} is not a number: write a {noun} like {said}")
    if percent:
        return number / 100
    if number > 1:
        fix = f"for {number:g}% write {number:g}% or {number / 100:g}" if number <= 100 else ""
        raise ParseError(
            f"{name} {text!r} is not a {noun} between 0 and 1: {fix or f'write {said}'}"
        )
    return number


def win_rate_input(name: str, value: str | float) -> float:
    """A win rate as a person writes it, ``33%`` or ``0.33`` (:func:`rate_input`), within
    :data:`RATE_BOUNDS`; ``name`` says which rate in the refusal ("today's win rate")."""
    text = str(value).strip()
    number = rate_input(name, text)
    low, high = RATE_BOUNDS
    if not low <= number <= high:
        raise ParseError(
            f"{name} {text!r} is {'below' if number < low else 'above'} "
            f"{low if number < low else high:.0%}: no team wins "
            f"{'none' if number < low else 'all'} of its deals, so give a rate from "
            f"{low:.0%} to {high:.0%}"
        )
    return number


def whatif_rates(
    before: str | float, after: str | float, allow_decrease: bool
) -> tuple[float, float]:
    """Today's rate and the target, bounded; the target above today's unless a decrease is
    asked for (a lower target is more often a typing slip than a question)."""
    low = win_rate_input("today's win rate", before)
    high = win_rate_input("the target win rate", after)
    if high == low:
        raise ParseError(f"the target win rate {high:.0%} is today's: give a different target")
    if high < low and not allow_decrease:
        raise ParseError(
            f"the target win rate {high:.0%} is below today's {low:.0%}: give a higher target, "
            "or ask for a decrease to see what a drop costs"
        )
    return low, high


def whatif_change(
    snap: Snapshot,
    *,
    metric: str = "win_rate",
    before: str | float,
    after: str | float,
    team_id: str | None = None,
    allow_decrease: bool = False,
) -> dict[str, Any]:
    """What moving ``metric`` from ``before`` to ``after`` is worth for the org or a team.

    The rates are written as a person does (``33%``, ``0.33``), from 1% to 99%, the target
    above today's unless ``allow_decrease``: the CLI, the API and the panel refuse alike.
    Same closed deals, a different win rate: revenue = closed deals x rate x average deal.
    Same annual quota: pipeline needed = quota / rate, qualified opportunities per month =
    quota / average deal / rate / 12.
    """
    if metric != "win_rate":
        raise ParseError("what-if by change supports --metric win_rate")
    before, after = whatif_rates(before, after, allow_decrease)
    deals = snap.deals if team_id is None else snap.deals[snap.deals["team_id"] == team_id]
    reps = snap.reps if team_id is None else snap.reps[snap.reps["team_id"] == team_id]
    if team_id is not None and not len(reps):
        raise ParseError(f"no team {team_id!r} among the visible reps")
    closed = deals[deals["status"] != "open"]
    won = closed[closed["status"] == "won"]
    avg_deal = float(won["amount"].mean()) if len(won) else float(closed["amount"].mean() or 0)
    quota = float(reps["quota"].fillna(0).sum())
    revenue_before = len(closed) * before * avg_deal
    revenue_after = len(closed) * after * avg_deal
    pipeline_before = quota / before
    pipeline_after = quota / after
    qualified_before = quota / avg_deal / before / 12 if avg_deal else None
    qualified_after = quota / avg_deal / after / 12 if avg_deal else None
    return {
        "metric": metric,
        "from": before,
        "to": after,
        "team_id": team_id,
        "closed_deals": len(closed),
        "avg_deal": _num(avg_deal, 2),
        "annual_quota": _num(quota, 2),
        "revenue_from": _num(revenue_before, 2),
        "revenue_to": _num(revenue_after, 2),
        "revenue_gain": _num(revenue_after - revenue_before, 2),
        "pipeline_needed_from": _num(pipeline_before, 2),
        "pipeline_needed_to": _num(pipeline_after, 2),
        "pipeline_no_longer_needed": _num(pipeline_before - pipeline_after, 2),
        "qualified_per_month_from": _num(qualified_before, 1),
        "qualified_per_month_to": _num(qualified_after, 1),
        "qualified_per_month_saved": _num(
            qualified_before - qualified_after
            if qualified_before is not None and qualified_after is not None
            else None,
            1,
        ),
    }


def prospecting_need(snap: Snapshot) -> list[dict[str, Any]]:
    """Per rep: wins, qualified opportunities and first conversations needed per month."""
    reps = rep_table(snap)
    stages = conversion(snap)
    first = stages[0]["conversion"] if stages and stages[0]["conversion"] else None
    out = []
    for r in reps.itertuples():
        monthly = r.quota / 12 if r.quota and not pd.isna(r.quota) else None
        deal = r.avg_deal if not pd.isna(r.avg_deal) else None
        rate = r.shrunk_win_rate if r.shrunk_win_rate and not pd.isna(r.shrunk_win_rate) else None
        wins = monthly / deal if monthly and deal else None
        qualified = wins / rate if wins and rate else None
        conversations = qualified / first if qualified and first else None
        out.append(
            {
                "rep_id": r.rep_id,
                "name": r.name,
                "monthly_quota": _num(monthly, 2),
                "avg_deal": _num(deal, 2),
                "win_rate": _num(rate),
                "wins_per_month": _num(wins, 2),
                "qualified_per_month": _num(qualified, 2),
                "first_conversations_per_month": _num(conversations, 2),
            }
        )
    return out
