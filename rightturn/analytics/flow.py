"""Flow (Lean) and the period waterfall.

**Flow**: work in progress by stage at the end of each week (a cumulative-flow view), throughput
(deals closed per week), cycle time, and a check of Little's law: average WIP should be close to
throughput x average cycle time when the pipeline is roughly stable.

**Waterfall** of the pipeline for a period (deals expected to close in it), from its start to
the snapshot: start + created + pulled in + increased - won - lost - pushed out - decreased =
end. Each deal lands in the bars by what happened to it:

* open at the start with a close date in the period: part of ``start`` at its value then;
* created since: ``created`` at its latest value;
* open at the start but expected later, now expected (or closed) in the period: ``pulled_in``
  at its value then;
* still in play: the change of its value goes to ``increased`` or ``decreased``;
* closed in the period: ``won`` or ``lost`` at its final value; still open but now expected
  after the period: ``pushed_out`` at its value now;
* whatever is left open and expected in the period is ``end``.

Each bar lists its deals largest first: ``opportunity_ids`` and, in the same order,
``deal_values`` (each deal's part of the bar).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from rightturn.analytics.metrics import _num, period_bounds
from rightturn.analytics.snapshot import Snapshot, as_of_datetime, load_snapshot
from rightturn.crm.deals import deal_rows
from rightturn.crm.scope import Scope

__all__ = ["WATERFALL_BARS", "bar_deals", "flow", "waterfall"]

WATERFALL_BARS = (
    "start",
    "created",
    "pulled_in",
    "increased",
    "won",
    "lost",
    "pushed_out",
    "decreased",
    "end",
)


def flow(snap: Snapshot, *, weeks: int = 26) -> dict[str, Any]:
    """Weekly WIP by stage, throughput and cycle time over the last ``weeks`` weeks."""
    end = pd.Timestamp(snap.as_of)
    ends = [end - pd.Timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    stays = snap.stages[snap.stages["stage"].isin(snap.open_stages)]
    deals = snap.deals.set_index("opportunity_id")
    # reindex, not map: map over no rows tries to turn timestamps into floats.
    closed_at = pd.to_datetime(
        deals["closed_at"].reindex(stays["opportunity_id"]).set_axis(stays.index), utc=True
    )
    # A stay lasts until the next stage or the close, whichever comes first.
    until = pd.to_datetime(stays["left_at"], utc=True).where(stays["left_at"].notna(), closed_at)
    # Each stay is live at the week ends in [first end >= entered, first end >= until): count
    # them per stage with a difference array instead of one mask per week.
    end_values = _ns(pd.Series(ends))
    first = np.searchsorted(end_values, _ns(stays["entered_at"]), "left")
    stop = np.searchsorted(end_values, _ns(until.fillna(ends[-1] + pd.Timedelta(weeks=1))), "left")
    wip = np.zeros((len(snap.open_stages), weeks + 1), dtype=np.int64)
    index = {stage: i for i, stage in enumerate(snap.open_stages)}
    rows = stays["stage"].map(index).astype(np.int64).to_numpy()
    np.add.at(wip, (rows, first), 1)
    np.add.at(wip, (rows, stop), -1)
    live = wip.cumsum(axis=1)[:, :weeks]
    wip_rows = [
        {"week_end": at.date().isoformat()} | {stage: int(live[i, w]) for stage, i in index.items()}
        for w, at in enumerate(ends)
    ]
    closed = snap.closed
    start = ends[0] - pd.Timedelta(weeks=1)
    recent = closed[closed["closed_at"] > start]
    week = ((recent["closed_at"] - start).dt.total_seconds() // (7 * 86400)).clip(upper=weeks - 1)
    per_week = recent.groupby(week).size().reindex(range(weeks), fill_value=0)
    # Won and lost apart, so the chart can draw each in its colour.
    won_week = (recent["status"] == "won").groupby(week).sum().reindex(range(weeks), fill_value=0)
    cycle = (recent["closed_at"] - recent["created_at"]).dt.total_seconds() / 86400
    wip_total = [sum(v for k, v in row.items() if k != "week_end") for row in wip_rows]
    avg_wip = sum(wip_total) / len(wip_total) if wip_total else 0.0
    throughput = float(per_week.mean()) if len(per_week) else 0.0
    cycle_weeks = float(cycle.mean()) / 7 if len(cycle.dropna()) else None
    predicted = throughput * cycle_weeks if cycle_weeks is not None else None
    return {
        "weeks": weeks,
        "stages": snap.open_stages,
        "wip": wip_rows,
        "throughput": [
            {
                "week_end": ends[i].date().isoformat(),
                "closed": int(n),
                "won": int(w),
                "lost": int(n) - int(w),
            }
            for i, (n, w) in enumerate(zip(per_week.tolist(), won_week.tolist(), strict=True))
        ],
        "throughput_per_week": _num(throughput, 2),
        "cycle_days_mean": _num(cycle.mean(), 1) if len(cycle.dropna()) else None,
        "cycle_days_median": _num(cycle.median(), 1) if len(cycle.dropna()) else None,
        "avg_wip": _num(avg_wip, 1),
        "littles_law": {
            "avg_wip": _num(avg_wip, 1),
            "throughput_per_week": _num(throughput, 2),
            "cycle_weeks": _num(cycle_weeks, 2),
            "predicted_wip": _num(predicted, 1),
            "ratio": _num(avg_wip / predicted, 2) if predicted else None,
        },
    }


def waterfall(
    s: Session,
    scope: Scope,
    *,
    period: str = "Q",
    as_of: date | None = None,
    snap: Snapshot | None = None,
) -> dict[str, Any]:
    """The period's pipeline from its first day to ``as_of``, bar by bar, with the deals."""
    later = snap or load_snapshot(s, scope, as_of_datetime(as_of))
    first, last = period_bounds(later.as_of.date(), period)
    day_before = as_of_datetime(first - timedelta(days=1))
    if later.history is not None:  # rewind what is loaded rather than read it all again
        earlier = later.history.snapshot(day_before)
    else:
        earlier = load_snapshot(s, scope, day_before)
    lo, hi = pd.Timestamp(first), pd.Timestamp(last)
    begin = pd.Timestamp(first, tz="UTC")

    def in_period(deals: pd.DataFrame) -> pd.Series:
        return (deals["close_date"] >= lo) & (deals["close_date"] <= hi)

    before = earlier.deals.set_index("opportunity_id")
    now = later.deals.set_index("opportunity_id")
    start_set = before[(before["status"] == "open") & in_period(before)]
    closed_now = now[(now["status"] != "open") & (now["closed_at"] >= begin)]
    end_set = now[(now["status"] == "open") & in_period(now)]
    universe = start_set.index.union(closed_now.index).union(end_set.index)
    # One row per deal in play, then each bar is a mask over it (no loop per deal).
    d = pd.DataFrame(index=universe)
    d["now_status"] = now["status"].reindex(universe)
    d["value_now"] = now["amount"].reindex(universe).fillna(0.0)
    d["was_open"] = (before["status"] == "open").reindex(universe).fillna(False).astype(bool)
    d["value_then"] = before["amount"].reindex(universe).fillna(0.0).where(d["was_open"], 0.0)
    d["in_start"] = d.index.isin(start_set.index)
    entry = pd.Series("created", index=universe)
    entry[d["was_open"]] = "pulled_in"
    entry[d["in_start"]] = "start"
    entered = d["value_then"].where(d["was_open"], d["value_now"])
    exit_ = pd.Series("pushed_out", index=universe)
    exit_[d.index.isin(end_set.index)] = "end"
    closed_mask = d.index.isin(closed_now.index)
    exit_[closed_mask] = d.loc[closed_mask, "now_status"]
    change = d["value_now"] - entered
    bars: dict[str, pd.Series] = {}
    for bar in ("start", "created", "pulled_in"):
        bars[bar] = entered[entry == bar]
    bars["increased"] = change[change > 0]
    bars["decreased"] = -change[change < 0]
    for bar in ("won", "lost", "pushed_out", "end"):
        bars[bar] = d.loc[exit_ == bar, "value_now"]
    out: dict[str, Any] = {
        "period": period,
        "period_start": first.isoformat(),
        "period_end": last.isoformat(),
        "as_of": later.as_of.isoformat(),
        "bars": [],
    }
    for bar in WATERFALL_BARS:
        values = bars[bar].sort_index().sort_values(ascending=False, kind="stable")
        out["bars"].append(
            {
                "bar": bar,
                "value": _num(values.sum(), 2),
                "deals": len(values),
                "opportunity_ids": [str(oid) for oid in values.index],
                "deal_values": values.round(2).tolist(),  # each deal's part, in the same order
            }
        )
    totals = {b["bar"]: b["value"] or 0.0 for b in out["bars"]}
    inflow = totals["start"] + totals["created"] + totals["pulled_in"] + totals["increased"]
    outflow = totals["won"] + totals["lost"] + totals["pushed_out"] + totals["decreased"]
    out["balanced"] = abs(inflow - outflow - totals["end"]) < 0.01
    return out


def bar_deals(
    s: Session, scope: Scope, bars: list[dict[str, Any]], *, offset: int = 0, limit: int = 50
) -> dict[str, list[dict[str, Any]]]:
    """A page of each :func:`waterfall` bar's deals (by bar name), largest part first, named as
    every list of deals is (:data:`~rightturn.crm.deals.DEAL_FIELDS`, as the deal stands now)
    in one lookup, each with ``part``: its part of the bar."""
    window = slice(offset, offset + limit)
    pages = {
        b["bar"]: list(zip(b["opportunity_ids"][window], b["deal_values"][window], strict=True))
        for b in bars
    }
    ids = (oid for page in pages.values() for oid, _ in page)
    named = {d["opportunity_id"]: d for d in deal_rows(s, ids, scope)}
    return {
        bar: [named[oid] | {"part": part} for oid, part in page if oid in named]
        for bar, page in pages.items()
    }


def _ns(times: pd.Series) -> np.ndarray:
    """UTC timestamps as int64 nanoseconds, for searchsorted."""
    return (
        times.dt.tz_convert("UTC").dt.tz_localize(None).dt.as_unit("ns").astype("int64").to_numpy()
    )
