"""Pipeline math: win rate, conversion, cycle, deal size, coverage from each rep's own win rate.

Everything is computed from a :class:`~rightturn.analytics.snapshot.Snapshot` with pandas
group-bys (no Python loop per deal). Definitions, which the README repeats:

* **win rate** = won / (won + lost), by count, over deals closed by ``as_of`` (or within the
  period with ``period``); ``won_value`` sums the won deals' amounts; ``avg_deal`` is their mean.
* **sales cycle** = days from creation to close, median and P90, for won and lost deals apart;
  ``cycle_days_median`` is the won deals' median.
* **stage conversion** = deals that reached the next stage / deals that reached this one; a deal
  "reached" every stage up to the furthest it entered (skipping one still counts), a won deal all.
* **coverage** (per rep, for the quarter or month containing ``as_of``) = open pipeline with a
  close date in the rest of that period / the quota still to close in it (the period's share of
  the annual quota, less what was won in the period so far).
* **required coverage** = 1 / the rep's own win rate, shrunk toward their team's rate with
  ``SHRINK`` pseudo-deals: ``(won + SHRINK * team_rate) / (won + lost + SHRINK)``. A rep with
  few closed deals gets about the team's need; one with many, their own.
* a rep is flagged ``below need`` when coverage < required, ``above need`` (pipeline possibly
  stuffed) when coverage > ``STUFFED`` x required, and ``quota met`` when nothing is left to
  close in the period (coverage is then null).
* **top20_revenue_share** = won value of the top fifth of reps (by won value; at least one rep)
  / all won value, among reps who own at least one deal.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd

from rightturn.analytics.snapshot import Snapshot
from rightturn.errors import ParseError

__all__ = [
    "GROUPINGS",
    "SHRINK",
    "STUFFED",
    "conversion",
    "headline",
    "period_bounds",
    "pipeline_metrics",
    "rep_table",
    "shrunk_win_rate",
    "summary",
]

SHRINK = 10.0
STUFFED = 2.0
GROUPINGS = {"rep": "owner_rep_id", "team": "team_id", "product": "product", "segment": "segment"}


def _num(value: Any, digits: int = 4) -> float | None:
    """A JSON-safe number: None for NaN/inf, rounded."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number) or math.isinf(number):
        return None
    return round(number, digits)


def period_bounds(as_of: date, period: str) -> tuple[date, date]:
    """First and last day of the quarter (``Q``) or month (``M``) containing ``as_of``."""
    if period == "M":
        start = as_of.replace(day=1)
    elif period == "Q":
        start = as_of.replace(month=3 * ((as_of.month - 1) // 3) + 1, day=1)
    else:
        raise ParseError(f"period {period!r} is not Q (quarter) or M (month)")
    months = 1 if period == "M" else 3
    year, month = divmod(start.month - 1 + months, 12)
    end = date(start.year + year, month + 1, 1) - pd.Timedelta(days=1)
    return start, end


def _closed_in(snap: Snapshot, period: str | None) -> pd.DataFrame:
    closed = snap.closed
    if period is None:
        return closed
    start, _ = period_bounds(snap.as_of.date(), period)
    begin = pd.Timestamp(start, tz="UTC")
    return closed[closed["closed_at"] >= begin]


def _cycle(closed: pd.DataFrame) -> pd.Series:
    return (closed["closed_at"] - closed["created_at"]).dt.total_seconds() / 86400


def summary(closed: pd.DataFrame, open_: pd.DataFrame) -> dict[str, Any]:
    """Counts, values, win rate, deal size and cycle of one set of deals."""
    won = closed[closed["status"] == "won"]
    lost = closed[closed["status"] == "lost"]
    n_won, n_lost = len(won), len(lost)
    cycle_won, cycle_lost = _cycle(won).dropna(), _cycle(lost).dropna()
    return {
        "won": n_won,
        "lost": n_lost,
        "open": len(open_),
        "win_rate": _num(n_won / (n_won + n_lost)) if n_won + n_lost else None,
        "win_rate_value": _num(won["amount"].sum() / (won["amount"].sum() + lost["amount"].sum()))
        if won["amount"].sum() + lost["amount"].sum()
        else None,
        "won_value": _num(won["amount"].sum(), 2),
        "lost_value": _num(lost["amount"].sum(), 2),
        "open_value": _num(open_["amount"].sum(), 2),
        "avg_deal": _num(won["amount"].mean(), 2) if n_won else None,
        "cycle_days_median": _num(cycle_won.median(), 1) if len(cycle_won) else None,
        "cycle_days_p90": _num(cycle_won.quantile(0.9), 1) if len(cycle_won) else None,
        "cycle_days_lost_median": _num(cycle_lost.median(), 1) if len(cycle_lost) else None,
        "cycle_days_lost_p90": _num(cycle_lost.quantile(0.9), 1) if len(cycle_lost) else None,
    }


def headline(snap: Snapshot, period: str | None = None) -> dict[str, Any]:
    """The :func:`summary` of the deals closed in the period so far (``Q``/``M``), or of every
    deal closed by ``as_of`` (None): the one place every page reads its win rate, average won
    deal and sales cycle from (named per window in :mod:`rightturn.analytics.definitions`)."""
    key = ("headline", period)
    if key not in snap.memo:
        snap.memo[key] = summary(_closed_in(snap, period), snap.open)
    return dict(snap.memo[key])


def shrunk_win_rate(won: pd.Series, lost: pd.Series, prior: pd.Series) -> pd.Series:
    """Each rep's win rate pulled toward ``prior`` (their team's) by ``SHRINK`` pseudo-deals."""
    return (won + SHRINK * prior) / (won + lost + SHRINK)


def rep_table(snap: Snapshot, period: str | None = None) -> pd.DataFrame:
    """One row per rep who owns a deal: counts, values, own and shrunk win rate, coverage."""
    key = ("rep_table", period)
    if key not in snap.memo:
        snap.memo[key] = _rep_table(snap, period)
    return snap.memo[key].copy()


def _rep_table(snap: Snapshot, period: str | None) -> pd.DataFrame:
    deals = snap.deals
    owners = snap.reps[snap.reps["rep_id"].isin(deals["owner_rep_id"])].copy()
    all_closed = snap.closed
    counts = (
        all_closed.assign(w=all_closed["status"] == "won", l=all_closed["status"] == "lost")
        .groupby("owner_rep_id")[["w", "l"]]
        .sum()
    )
    in_period = _closed_in(snap, period)
    won_p = in_period[in_period["status"] == "won"]
    lost_p = in_period[in_period["status"] == "lost"]
    table = owners.set_index("rep_id")
    table["won"] = won_p.groupby("owner_rep_id").size()
    table["lost"] = lost_p.groupby("owner_rep_id").size()
    table["won_value"] = won_p.groupby("owner_rep_id")["amount"].sum()
    table[["won", "lost", "won_value"]] = table[["won", "lost", "won_value"]].fillna(0)
    table["win_rate"] = table["won"] / (table["won"] + table["lost"])
    table["avg_deal"] = won_p.groupby("owner_rep_id")["amount"].mean()
    table["open"] = snap.open.groupby("owner_rep_id").size()
    table["open"] = table["open"].fillna(0)

    # The rep's own win rate over all their closed deals (more evidence than one period).
    own_won = counts["w"].reindex(table.index).fillna(0)
    own_lost = counts["l"].reindex(table.index).fillna(0)
    # The prior is the whole team's rate, whoever looks: from totals over every rep when the
    # snapshot has them (a rep's own view sees only their deals), else from the snapshot.
    team_counts = snap.memo.get("team_totals")
    if team_counts is None:
        team_counts = (
            counts.join(snap.reps.set_index("rep_id")["team_id"])
            .groupby("team_id")[["w", "l"]]
            .sum()
        )
    org_rate = team_counts["w"].sum() / max(team_counts["w"].sum() + team_counts["l"].sum(), 1)
    team_rate = (team_counts["w"] / (team_counts["w"] + team_counts["l"])).fillna(org_rate)
    prior = table["team_id"].map(team_rate).fillna(org_rate).astype(float)
    table["own_win_rate"] = (own_won / (own_won + own_lost)).where(own_won + own_lost > 0)
    table["shrunk_win_rate"] = shrunk_win_rate(own_won, own_lost, prior)
    table["required_coverage"] = 1 / table["shrunk_win_rate"].where(table["shrunk_win_rate"] > 0)

    start, end = period_bounds(snap.as_of.date(), period or "Q")
    months = 1 if (period or "Q") == "M" else 3
    today = pd.Timestamp(snap.as_of.date())
    closing = snap.open[
        (snap.open["close_date"] >= today) & (snap.open["close_date"] <= pd.Timestamp(end))
    ]
    table["pipeline"] = closing.groupby("owner_rep_id")["amount"].sum()
    table["pipeline"] = table["pipeline"].fillna(0)
    begin = pd.Timestamp(start, tz="UTC")
    won_this_period = snap.closed[
        (snap.closed["status"] == "won") & (snap.closed["closed_at"] >= begin)
    ]
    table["won_this_period"] = won_this_period.groupby("owner_rep_id")["amount"].sum()
    table["won_this_period"] = table["won_this_period"].fillna(0)
    table["period_quota"] = table["quota"] * months / 12
    table["remaining_quota"] = (table["period_quota"] - table["won_this_period"]).clip(lower=0)
    table["coverage"] = table["pipeline"] / table["remaining_quota"].where(
        table["remaining_quota"] > 0
    )
    below = table["coverage"] < table["required_coverage"]
    above = table["coverage"] > STUFFED * table["required_coverage"]
    table["coverage_flag"] = None
    table.loc[below, "coverage_flag"] = "below need"
    table.loc[above, "coverage_flag"] = "above need"
    met = (table["period_quota"] > 0) & (table["remaining_quota"] == 0)
    table.loc[met, "coverage_flag"] = "quota met"
    return table.reset_index().sort_values(["won_value", "rep_id"], ascending=[False, True])


def conversion(snap: Snapshot) -> list[dict[str, Any]]:
    """Stage-to-stage conversion over every deal's furthest stage reached."""
    if "conversion" not in snap.memo:
        snap.memo["conversion"] = _conversion(snap)
    return list(snap.memo["conversion"])


def _conversion(snap: Snapshot) -> list[dict[str, Any]]:
    stages = snap.open_stages
    if not stages:
        return []
    rank = {s: i for i, s in enumerate(stages)}
    entered = snap.stages[snap.stages["stage"].isin(rank)]
    furthest = entered["stage"].map(rank).astype(float).groupby(entered["opportunity_id"]).max()
    deals = snap.deals.set_index("opportunity_id")
    reach = furthest.reindex(deals.index)
    reach = reach.where(deals["status"] != "won", len(stages))  # won: past every stage
    reach = reach.fillna(deals["stage"].map(rank).astype(float)).dropna()
    out = []
    for i, stage in enumerate(stages):
        here = int((reach >= i).sum())
        following = int((reach >= i + 1).sum())
        out.append(
            {
                "stage": stage,
                "reached": here,
                "reached_next": following,
                "conversion": _num(following / here) if here else None,
            }
        )
    return out


def _top20_share(reps: pd.DataFrame) -> float | None:
    values = reps["won_value"].sort_values(ascending=False)
    total = values.sum()
    if not len(values) or not total:
        return None
    top = max(1, round(len(values) * 0.2))
    return _num(values.iloc[:top].sum() / total)


def pipeline_metrics(
    snap: Snapshot, *, by: str | None = None, period: str | None = None
) -> dict[str, Any]:
    """The ``rightturn metrics --json`` object (keys documented in the README)."""
    if by is not None and by not in GROUPINGS:
        raise ParseError(f"by={by!r} is not one of {', '.join(GROUPINGS)}")
    closed = _closed_in(snap, period)
    out: dict[str, Any] = {
        "as_of": snap.as_of.isoformat(),
        "period": period,
        **headline(snap, period),
    }
    if period:
        start, end = period_bounds(snap.as_of.date(), period)
        out["period_start"], out["period_end"] = start.isoformat(), end.isoformat()
        # The same figures over every closed deal, which the other pages show: a page showing
        # the period's can say both, named apart.
        out["all_closed"] = headline(snap)
    reps = rep_table(snap, period)
    out["top20_revenue_share"] = _top20_share(reps)
    out["stage_conversion"] = conversion(snap)
    out["reps"] = [
        {
            "rep_id": r.rep_id,
            "name": r.name,
            "team_id": r.team_id,
            "team": r.team if isinstance(r.team, str) else None,
            "won": int(r.won),
            "lost": int(r.lost),
            "open": int(r.open),
            "win_rate": _num(r.win_rate),
            "won_value": _num(r.won_value, 2),
            "avg_deal": _num(r.avg_deal, 2),
            "own_win_rate": _num(r.own_win_rate),
            "shrunk_win_rate": _num(r.shrunk_win_rate),
            "required_coverage": _num(r.required_coverage, 2),
            "coverage": _num(r.coverage, 2),
            "pipeline": _num(r.pipeline, 2),
            "remaining_quota": _num(r.remaining_quota, 2),
            "coverage_flag": r.coverage_flag,
        }
        for r in reps.itertuples()
    ]
    if by:
        out["by"] = by
        out["groups"] = _groups(snap, closed, by)
    return out


def _groups(snap: Snapshot, closed: pd.DataFrame, by: str) -> list[dict[str, Any]]:
    column = GROUPINGS[by]
    keys = pd.concat([closed[column], snap.open[column]]).dropna().unique()
    names: dict[Any, Any] = {}
    if by == "rep":
        names = dict(zip(snap.reps["rep_id"], snap.reps["name"], strict=True))
    elif by == "team":
        names = dict(zip(snap.reps["team_id"], snap.reps["team"], strict=True))
    groups = []
    closed_by = dict(tuple(closed.groupby(column)))
    open_by = dict(tuple(snap.open.groupby(column)))
    empty = closed.iloc[0:0]
    for key in sorted(keys, key=str):
        row = {"key": key, "name": names.get(key, key)}
        row.update(summary(closed_by.get(key, empty), open_by.get(key, empty)))
        groups.append(row)
    return groups
