"""Stage order and stage advances: from the process in force, else learned from the history.

An applied process (a :class:`~rightturn.crm.model.ProcessVersion`, written by
``rightturn process apply``) names the stages in order and says which are won and lost. Until
one is applied, the order deals actually move in is the best evidence, and it works for any
CRM's stage names. Closed stages always come last, won before lost: deals are often lost mid-way,
which would otherwise place a loss stage between two open ones.

Stages the data holds and the process does not name keep a place, so nothing disappears from a
filter or a chart: open ones after the process's open stages, won ones after its won, lost ones
after its lost (each in their learned order). Names match whatever their case, and the data's
spelling is the one listed, so a filter on it finds the deals.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from rightturn.crm.model import BuyerAction, Opportunity, ProcessVersion, StageChange

USUAL_ORDER = (
    "lead", "prospect", "qualif", "engag", "discover", "demo", "solution", "propos", "quote",
    "negotiat", "commit", "contract", "closed won", "won", "closed lost", "lost",
)  # fmt: skip


def _usual_rank(stage: str) -> int:
    name = stage.lower()
    return next((i for i, word in enumerate(USUAL_ORDER) if word in name), len(USUAL_ORDER))


def is_loss(stage: str) -> bool:
    """Whether a stage name means the deal was lost (``Closed Lost``, ``Lost``)."""
    return "lost" in stage.lower()


@dataclass(frozen=True)
class ProcessStages:
    """The stages of an applied process version: ``order`` is every stage in process order
    (open, then won, then lost); ``won`` and ``lost`` name the closed ones."""

    version: int
    order: tuple[str, ...]
    won: tuple[str, ...]
    lost: tuple[str, ...]

    def rank(self, stage: str) -> int | None:
        """0 open, 1 won, 2 lost for a stage of this process (any case); None for another."""
        said = stage.casefold()
        if any(said == s.casefold() for s in self.lost):
            return 2
        if any(said == s.casefold() for s in self.won):
            return 1
        return 0 if any(said == s.casefold() for s in self.order) else None


def applied_version(session: Session, at: datetime | None = None) -> ProcessVersion | None:
    """The process version in force at ``at`` (now when None): the last one applied by then.
    None when none was: the shipped default is in force, and stages are learned."""
    return session.scalar(select(ProcessVersion).where(ProcessVersion.version == _in_force(at)))


def process_stages(session: Session, at: datetime | None = None) -> ProcessStages | None:
    """The stages of the process in force at ``at`` (now when None); None when no process was
    applied by then."""
    row = session.execute(
        select(
            ProcessVersion.version,
            ProcessVersion.stage_order,
            ProcessVersion.won_stages,
            ProcessVersion.lost_stages,
        ).where(ProcessVersion.version == _in_force(at))
    ).first()
    if row is None:
        return None
    version, order, won, lost = row
    return ProcessStages(version, tuple(order), tuple(won), tuple(lost))


def _in_force(at: datetime | None) -> Any:
    """The number of the version in force at ``at`` (a naive time is UTC), as a subquery: the
    last one applied by then (by time; two applied in one instant, the later number)."""
    query = select(ProcessVersion.version)
    if at is not None:
        query = query.where(ProcessVersion.applied_at <= at)
    return (
        query.order_by(ProcessVersion.applied_at.desc(), ProcessVersion.version.desc())
        .limit(1)
        .scalar_subquery()
    )


def closed_rank(stage: str, won: Collection[str] = (), process: ProcessStages | None = None) -> int:
    """0 for an open stage, 1 for a won one, 2 for a lost one: the order's outer key.

    A stage of the ``process`` is what the process says. Any other is won when its name says so
    (``Closed Won``) or won deals sit in it (``won``: a CRM may call it ``Signed``); lost when its
    name says so (a lost deal may keep an open stage's name).
    """
    ranked = process.rank(stage) if process is not None else None
    if ranked is not None:
        return ranked
    if is_loss(stage):
        return 2
    return 1 if stage in won or "won" in stage.lower() else 0


def with_process(
    learned: list[str], process: ProcessStages | None, won: Collection[str] = ()
) -> list[str]:
    """The ``process``'s stage order, with the stages only the data holds (``learned``, in their
    learned order) after the process's stages of their kind (:func:`closed_rank`); the learned
    order unchanged when no process is in force. A process stage the data spells in another case
    is listed as the data spells it."""
    if process is None:
        return list(learned)
    groups: tuple[list[str], list[str], list[str]] = ([], [], [])
    named = {stage.casefold() for stage in process.order}
    for stage in process.order:
        spelt = [s for s in learned if s.casefold() == stage.casefold()] or [stage]
        groups[closed_rank(stage, process=process)].extend(spelt)
    for stage in learned:
        if stage.casefold() not in named:
            groups[closed_rank(stage, won)].append(stage)
    return [*groups[0], *groups[1], *groups[2]]


# (database URL, rows in stage_history, highest id) -> learned order and the stages won deals
# sit in. The window query costs ~0.4 s on 370k stage changes and the panel asks on every page;
# the key changes whenever history does.
_ORDER_CACHE: dict[tuple[str, int, int | None], tuple[list[str], set[str]]] = {}


def stage_order(session: Session, at: datetime | None = None) -> list[str]:
    """Stages in process order: the process's in force at ``at`` (now when None) when one was
    applied, with the data's other stages placed as the module says; else the learned order.

    The learned order puts the open stages first, then the won stages, then the lost ones
    (:func:`closed_rank`). Within each, a stage's place is its average position within
    opportunities' histories; ties (a stage that is always first, like an undated Prospecting)
    fall back on the usual order of common stage names. Cached per database until the stage
    history changes.
    """
    count, last = session.execute(select(func.count(), func.max(StageChange.id))).one()
    bind = session.get_bind()
    key = (str(bind.engine.url), count, last)
    if key not in _ORDER_CACHE:
        if len(_ORDER_CACHE) > 32:
            _ORDER_CACHE.clear()
        _ORDER_CACHE[key] = _stage_order(session)
    learned, won = _ORDER_CACHE[key]
    return with_process(learned, process_stages(session, at), won)


def _stage_order(session: Session) -> tuple[list[str], set[str]]:
    from rightturn.crm.store import as_driven, driver_rows

    rows = driver_rows(
        session,
        select(
            StageChange.opportunity_id,
            StageChange.stage,
            as_driven(StageChange.entered_at),
            StageChange.id,
        ),
    )
    won = set(
        session.scalars(select(Opportunity.stage).where(Opportunity.status == "won").distinct())
    )
    return order_stages(rows, won=won), won


def order_stages(history: Any, *, presorted: bool = False, won: Collection[str] = ()) -> list[str]:
    """The stage order of a stage history: rows (or a DataFrame) of ``opportunity_id, stage,
    entered_at, id``; ``won`` names the stages won deals sit in. The one implementation of the
    rule :func:`stage_order` documents, also used on a history already in memory (the analytics
    snapshot: a DataFrame with those columns, timestamps parsed and rows sorted by deal and time,
    ``presorted``)."""
    import pandas as pd  # here, not at module level: imports and capture never need it

    columns = ["opportunity_id", "stage", "entered_at", "id"]
    frame = history[columns] if presorted else pd.DataFrame(history, columns=columns)
    if frame.empty:
        return []
    if not presorted:
        frame = frame.assign(entered_at=pd.to_datetime(frame["entered_at"], utc=True))
        frame = frame.sort_values(["opportunity_id", "entered_at", "id"], kind="stable")
    position = frame.groupby("opportunity_id").cumcount() + 1
    average = position.groupby(frame["stage"]).mean()
    return sorted(
        average.index,
        key=lambda st: (closed_rank(st, won), round(float(average[st]), 1), _usual_rank(st), st),
    )


def record_stage_advances(session: Session) -> int:
    """Record a ``stage_advance`` buyer action for every forward stage change not recorded yet.

    Forward means to a later stage than the one before it in that deal's history (in the
    order of the process in force), and not to a lost stage: the buyer moved the deal on.
    Returns how many were added.
    """
    process = process_stages(session)
    rank = {stage: i for i, stage in enumerate(stage_order(session))}
    previous = func.lag(StageChange.stage).over(
        partition_by=StageChange.opportunity_id, order_by=(StageChange.entered_at, StageChange.id)
    )
    history = select(
        StageChange.id,
        StageChange.opportunity_id,
        StageChange.stage,
        StageChange.entered_at,
        previous.label("previous"),
    ).subquery()
    recorded = select(BuyerAction.stage_change_id).where(BuyerAction.stage_change_id.is_not(None))
    query = (
        select(history, Opportunity.account_id, Opportunity.owner_rep_id)
        .join(Opportunity, Opportunity.opportunity_id == history.c.opportunity_id)
        .where(history.c.previous.is_not(None), history.c.id.not_in(recorded))
    )
    new = [
        {
            "kind": "stage_advance",
            "occurred_at": row.entered_at,
            "opportunity_id": row.opportunity_id,
            "account_id": row.account_id,
            "rep_id": row.owner_rep_id,
            "stage_change_id": row.id,
        }
        for row in session.execute(query)
        if closed_rank(row.stage, process=process) != 2 and rank[row.stage] > rank[row.previous]
    ]
    for start in range(0, len(new), 5000):
        session.execute(insert(BuyerAction), new[start : start + 5000])
    return len(new)
