"""Every pipeline analysis in one object: what ``rightturn metrics --json`` prints.

The top-level keys are the pipeline metrics (:func:`~rightturn.analytics.metrics.
pipeline_metrics`, the contract other tools read); each other analysis is a section:
``integrity``, ``velocity``, ``flow``, ``waterfall``, ``prospecting`` and ``pareto``. All of them
come from one snapshot read once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from rightturn.analytics.flow import flow, waterfall
from rightturn.analytics.health import contacts_per_deal, integrity, responded_since, velocity
from rightturn.analytics.metrics import pipeline_metrics
from rightturn.analytics.performers import (
    activity_counts,
    pareto,
    prospecting_need,
    whatif_change,
    whatif_rates,
)
from rightturn.analytics.snapshot import as_of_datetime, load_snapshot
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.crm.teams import find_team
from rightturn.errors import ParseError

__all__ = ["SECTIONS", "metrics_report", "whatif_report"]

SECTIONS = ("integrity", "velocity", "flow", "waterfall", "prospecting", "pareto")
QUIET_DAYS = 14
# rightturn.cli.analytics repeats this tuple to offer it without importing pandas; a test keeps
# the two equal.


def metrics_report(
    store: Store,
    scope: Scope | None = None,
    *,
    as_of: date | None = None,
    by: str | None = None,
    period: str | None = None,
    sections: tuple[str, ...] = SECTIONS,
    deals_per_flag: int | None = 100,
) -> dict[str, Any]:
    """The metrics object; ``sections`` picks the analyses beyond the pipeline metrics."""
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ParseError(f"unknown section(s) {', '.join(sorted(unknown))}: use {SECTIONS}")
    scope = scope or Scope.everything()
    when = as_of_datetime(as_of)

    def on_own_session(read, *args):
        with store.session() as own:
            return read(own, *args)

    # The aggregate reads that do not need the snapshot run on their own connections while it
    # loads: the database works (and releases the GIL) while pandas does. 5.2 s -> 4.x s on the
    # 1,000-rep org.
    prefetch = {
        ("responded", QUIET_DAYS): (integrity, responded_since, (when, QUIET_DAYS, scope)),
        "contacts_per_deal": (integrity, contacts_per_deal, (when, scope)),
        "activity_counts": (pareto, activity_counts, (scope, when)),
    }
    wanted = set(sections)
    with ThreadPoolExecutor(max_workers=2) as pool, store.session() as s:
        futures = {
            key: pool.submit(on_own_session, read, *args)
            for key, (needed_by, read, args) in prefetch.items()
            if needed_by.__name__ in wanted
        }
        snap = load_snapshot(s, scope, when)
        for key, future in futures.items():
            snap.memo[key] = future.result()
        out = pipeline_metrics(snap, by=by, period=period)
        if "integrity" in sections:
            out["integrity"] = integrity(s, snap, quiet_days=QUIET_DAYS, limit=deals_per_flag)
        if "velocity" in sections:
            out["velocity"] = velocity(s, snap, limit=deals_per_flag)
        if "flow" in sections:
            out["flow"] = flow(snap)
        if "waterfall" in sections:
            out["waterfall"] = waterfall(s, scope, period=period or "Q", snap=snap)
        if "prospecting" in sections:
            out["prospecting"] = prospecting_need(snap)
        if "pareto" in sections:
            out["pareto"] = pareto(s, snap, scope)
    return out


def whatif_report(
    store: Store,
    scope: Scope | None = None,
    *,
    metric: str,
    before: str | float,
    after: str | float,
    team: str | None = None,
    as_of: date | None = None,
    allow_decrease: bool = False,
) -> dict[str, Any]:
    """``rightturn whatif``: the value of moving a metric for the org or a team.

    ``team`` is the team's id or name as a person writes it (``East 1``, ``east-1``); the result
    names it twice: ``team_id`` and ``team`` (its name). The rates are checked first (``33%`` or
    ``0.33``, 1% to 99%, the target above today's unless ``allow_decrease``), before any read.
    """
    whatif_rates(before, after, allow_decrease)  # refused before the data is read
    scope = scope or Scope.everything()
    with store.session() as s:
        found = find_team(s, team, scope) if team else None
        snap = load_snapshot(s, scope, as_of_datetime(as_of))
    result = whatif_change(
        snap,
        metric=metric,
        before=before,
        after=after,
        team_id=found.team_id if found else None,
        allow_decrease=allow_decrease,
    )
    return {**result, "team": found.name if found else None}
