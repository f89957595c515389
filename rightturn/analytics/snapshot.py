"""The pipeline as it stood on a date, replayed from the stored history.

Every metric starts here. :func:`load_snapshot` reads opportunities, their stage history and the
history of the fields that move (amount, close date) with a handful of set-based queries into
pandas, then rewinds them to ``as_of``:

* a deal created after ``as_of`` does not exist yet;
* its status is won or lost only if it closed by ``as_of``; otherwise it is open;
* its stage is the last one it entered by ``as_of`` (the stored stage when no history says);
* its amount and expected close date are the values before the first change after ``as_of``.

So ``metrics --as-of 2026-03-31`` run today gives what it would have given on March 31st,
provided the history was captured (imports record every change they see).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import cached_property
from typing import Any

import pandas as pd
from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.orm import Session

from rightturn.crm.model import (
    Account,
    Opportunity,
    OpportunityChange,
    Rep,
    StageChange,
    Team,
)
from rightturn.crm.scope import Scope
from rightturn.crm.stages import (
    ProcessStages,
    closed_rank,
    order_stages,
    process_stages,
    stage_order,
    with_process,
)
from rightturn.crm.store import as_driven, driver_rows

__all__ = ["History", "Snapshot", "as_of_datetime", "load_snapshot", "team_totals"]


def as_of_datetime(day: date | datetime | None) -> datetime:
    """The end of ``day`` in UTC (now when None): metrics "as of" a date include all of it."""
    if day is None:
        return datetime.now(UTC)
    if isinstance(day, datetime):
        return day if day.tzinfo else day.replace(tzinfo=UTC)
    return datetime.combine(day, time.max, tzinfo=UTC)


@dataclass
class Snapshot:
    """Deals, their stage history and the reps, as of one moment.

    ``deals`` has one row per opportunity that existed: ``opportunity_id, account_id,
    owner_rep_id, rep, team_id, team, product, segment, amount, close_date, created_at,
    closed_at, status, stage, stage_rank``. ``stages`` has one row per stage entered by then:
    ``opportunity_id, stage, entered_at, rank, left_at`` (``left_at`` is when the next stage was
    entered, NaT while it is the current one). ``changes`` holds close-date and amount changes
    made by then. ``order`` is the stage order; ``open_stages`` those before any closed stage.
    ``process`` is the process version in force at ``as_of`` whose order this is (None: no
    process was applied by then, the order is learned from the history).
    """

    as_of: datetime
    deals: pd.DataFrame
    stages: pd.DataFrame
    changes: pd.DataFrame
    reps: pd.DataFrame
    order: list[str]
    history: History | None = None
    process: ProcessStages | None = None
    # Results several analyses share (the rep table, conversions), computed once per snapshot.
    memo: dict[Any, Any] = field(default_factory=dict)

    # Cached: every analysis asks for these, several times.
    @cached_property
    def closed(self) -> pd.DataFrame:
        return self.deals[self.deals["status"] != "open"]

    @cached_property
    def open(self) -> pd.DataFrame:
        return self.deals[self.deals["status"] == "open"]

    @cached_property
    def open_stages(self) -> list[str]:
        won = set(self.deals.loc[self.deals["status"] == "won", "stage"])
        return [s for s in self.order if closed_rank(s, won, self.process) == 0]


def _frame(session: Session, query, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(driver_rows(session, query), columns=columns)


_raw = as_driven


def _utc(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True)


def load_snapshot(session: Session, scope: Scope, as_of: datetime | None = None) -> Snapshot:
    """The visible pipeline as of ``as_of`` (default now)."""
    when = as_of_datetime(as_of)
    deals = _frame(
        session,
        select(
            Opportunity.opportunity_id,
            Opportunity.account_id,
            Opportunity.owner_rep_id,
            Rep.name,
            Rep.team_id,
            Team.name,
            Opportunity.product,
            Account.segment,
            _raw(Opportunity.amount),
            _raw(Opportunity.close_date),
            _raw(Opportunity.created_at),
            _raw(Opportunity.closed_at),
            Opportunity.status,
            Opportunity.stage,
        )
        .outerjoin(Rep, Rep.rep_id == Opportunity.owner_rep_id)
        .outerjoin(Team, Team.team_id == Rep.team_id)
        .outerjoin(Account, Account.account_id == Opportunity.account_id)
        .where(scope.reps(Opportunity.owner_rep_id)),
        [
            "opportunity_id",
            "account_id",
            "owner_rep_id",
            "rep",
            "team_id",
            "team",
            "product",
            "segment",
            "amount",
            "close_date",
            "created_at",
            "closed_at",
            "status",
            "stage",
        ],
    )
    visible = select(Opportunity.opportunity_id).where(scope.reps(Opportunity.owner_rep_id))
    stage_visible = true() if scope.is_everything else StageChange.opportunity_id.in_(visible)
    change_visible = (
        true() if scope.is_everything else OpportunityChange.opportunity_id.in_(visible)
    )
    stages = _frame(
        session,
        select(
            StageChange.opportunity_id,
            StageChange.stage,
            _raw(StageChange.entered_at),
            StageChange.id,
        ).where(stage_visible),
        ["opportunity_id", "stage", "entered_at", "id"],
    )
    changes = _frame(
        session,
        select(
            OpportunityChange.opportunity_id,
            OpportunityChange.field,
            OpportunityChange.old_value,
            OpportunityChange.new_value,
            _raw(OpportunityChange.changed_at),
            OpportunityChange.id,
        ).where(change_visible, OpportunityChange.field.in_(("amount", "close_date"))),
        ["opportunity_id", "field", "old_value", "new_value", "changed_at", "id"],
    )
    reps = _frame(
        session,
        select(Rep.rep_id, Rep.name, Rep.team_id, Team.name, _raw(Rep.quota))
        .outerjoin(Team, Team.team_id == Rep.team_id)
        .where(scope.reps(Rep.rep_id)),
        ["rep_id", "name", "team_id", "team", "quota"],
    )
    stages, changes = _typed(deals, stages, changes, reps)
    # The order is the process's in force at `when` (a process applied later does not reorder a
    # past report), else learned from the whole history, as stage_order's is; when that history
    # is all in memory already, from it (the query would read it all again).
    process = process_stages(session, when)
    if scope.is_everything:
        won = set(deals.loc[deals["status"] == "won", "stage"])
        order = with_process(order_stages(stages, presorted=True, won=won), process, won)
    else:
        order = stage_order(session, when)
    history = History(deals, stages, changes, reps, order, when, process)
    snap = history.snapshot(when)
    if not scope.is_everything:
        snap.memo["team_totals"] = team_totals(session, when)
    return snap


def team_totals(session: Session, when: datetime) -> pd.DataFrame:
    """Won (``w``) and lost (``l``) deals per team, closed by ``when``, over every rep: the prior
    a rep's win rate is shrunk toward must not depend on who is looking."""
    closed_by = or_(
        Opportunity.closed_at <= when,
        and_(Opportunity.closed_at.is_(None), Opportunity.close_date <= when.date()),
    )
    rows = session.execute(
        select(Rep.team_id, Opportunity.status, func.count())
        .join(Rep, Rep.rep_id == Opportunity.owner_rep_id)
        .where(Opportunity.status.in_(("won", "lost")), closed_by)
        .group_by(Rep.team_id, Opportunity.status)
    ).all()
    frame = pd.DataFrame(rows, columns=["team_id", "status", "n"])
    table = frame.pivot_table(index="team_id", columns="status", values="n", fill_value=0)
    return pd.DataFrame(
        {
            "w": table.get("won", 0),
            "l": table.get("lost", 0),
        },
        index=table.index,
    ).astype(float)


def _typed(
    deals: pd.DataFrame, stages: pd.DataFrame, changes: pd.DataFrame, reps: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse the driver's values (text on SQLite) once, column at a time."""
    deals["amount"] = pd.to_numeric(deals["amount"], errors="coerce").astype(float)
    deals["created_at"] = _utc(deals["created_at"])
    deals["closed_at"] = _utc(deals["closed_at"])
    deals["close_date"] = pd.to_datetime(deals["close_date"])
    reps["quota"] = pd.to_numeric(reps["quota"], errors="coerce").astype(float)
    stages["entered_at"] = _utc(stages["entered_at"])
    # Few distinct stage names: as categories, every map and comparison on them is vectorized
    # (a string column's map runs in Python per row).
    stages["stage"] = stages["stage"].astype("category")
    changes["changed_at"] = _utc(changes["changed_at"])
    # Sorted here rather than in SQL: a 370k-row sort is faster in pandas than in SQLite.
    return (
        stages.sort_values(["opportunity_id", "entered_at", "id"], kind="stable"),
        changes.sort_values(["changed_at", "id"], kind="stable"),
    )


@dataclass
class History:
    """The raw frames a snapshot is rewound from (see :meth:`snapshot`)."""

    deals: pd.DataFrame
    stages: pd.DataFrame
    changes: pd.DataFrame
    reps: pd.DataFrame
    order: list[str]
    until: datetime
    process: ProcessStages | None = None

    def snapshot(self, when: datetime) -> Snapshot:
        """The pipeline as of ``when`` (no later than the history was read up to)."""
        if when > self.until:
            raise ValueError(f"history was read up to {self.until}, not {when}")
        snap = _rewind(
            when,
            pd.Timestamp(when),
            self.deals.copy(),
            self.stages.copy(),
            self.changes.copy(),
            self.reps.copy(),
            self.order,
        )
        snap.history = self
        snap.process = self.process
        return snap


def _rewind(
    when: datetime,
    stamp: pd.Timestamp,
    deals: pd.DataFrame,
    stages: pd.DataFrame,
    changes: pd.DataFrame,
    reps: pd.DataFrame,
    order: list[str],
) -> Snapshot:
    stages = stages[stages["entered_at"] <= stamp].copy()

    # Not created yet: gone. (No creation date at all: the deal predates what we know; keep it.)
    deals = deals[deals["created_at"].isna() | (deals["created_at"] <= stamp)].copy()
    # Closed later than as_of: still open then. A closed deal without a closing time closed on
    # its close date; with neither, it is taken as closed (nothing says when).
    closing = deals["closed_at"].fillna(
        deals["close_date"].dt.tz_localize(UTC) + pd.Timedelta(hours=23, minutes=59)
    )
    deals["closed_at"] = deals["closed_at"].where(deals["status"] == "open", closing)
    reopened = (deals["status"] != "open") & (deals["closed_at"] > stamp)
    deals.loc[reopened, "status"] = "open"
    deals.loc[reopened, "closed_at"] = pd.NaT

    # Values before the first change after as_of.
    later = changes[changes["changed_at"] > stamp]
    first_after = later.drop_duplicates(["opportunity_id", "field"], keep="first")
    for fld, convert in (
        ("amount", lambda s: pd.to_numeric(s, errors="coerce")),
        ("close_date", lambda s: pd.to_datetime(s, errors="coerce")),
    ):
        old = first_after[first_after["field"] == fld].set_index("opportunity_id")["old_value"]
        if len(old):
            ids = deals["opportunity_id"]
            hit = ids.isin(old.index)
            deals.loc[hit, fld] = convert(ids[hit].map(old)).to_numpy()
    changes = changes[changes["changed_at"] <= stamp].reset_index(drop=True)

    # Stage as of: the last one entered by then.
    rank = {stage: i for i, stage in enumerate(order)}
    stages = stages[stages["opportunity_id"].isin(deals["opportunity_id"])].copy()
    stages["rank"] = stages["stage"].map(rank).astype(float)
    stages["left_at"] = pd.to_datetime(
        stages.groupby("opportunity_id")["entered_at"].shift(-1), utc=True
    )
    current = stages.drop_duplicates("opportunity_id", keep="last").set_index("opportunity_id")
    known = deals["opportunity_id"].isin(current.index)
    deals.loc[known, "stage"] = deals.loc[known, "opportunity_id"].map(current["stage"])
    # Categories only now: the as-of stage may be one no deal is in today.
    deals["stage"] = deals["stage"].astype(str).astype("category")
    deals["stage_rank"] = deals["stage"].map(rank).astype(float)
    return Snapshot(
        when,
        deals.reset_index(drop=True),
        stages.reset_index(drop=True),
        changes,
        reps,
        order,
    )
