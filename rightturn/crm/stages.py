"""Stage order and stage advances, learned from the stage history itself.

A process definition (a later issue) will name the stages; until one exists, the order deals
actually move in is the best evidence, and it works for any CRM's stage names. Closed stages
always come last, won before lost: deals are often lost mid-way, which would otherwise place a
loss stage between two open ones.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from rightturn.crm.model import BuyerAction, Opportunity, StageChange

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


def closed_rank(stage: str, won: Collection[str] = ()) -> int:
    """0 for an open stage, 1 for a won one, 2 for a lost one: the order's outer key.

    A stage is won when its name says so (``Closed Won``) or won deals sit in it (``won``: a CRM
    may call it ``Signed``); lost when its name says so (a lost deal may keep an open stage's name).
    """
    if is_loss(stage):
        return 2
    return 1 if stage in won or "won" in stage.lower() else 0


# (database URL, rows in stage_history, highest id) -> order. The window query costs ~0.4 s on
# 370k stage changes and the panel asks on every page; the key changes whenever history does.
_ORDER_CACHE: dict[tuple[str, int, int | None], list[str]] = {}


def stage_order(session: Session) -> list[str]:
    """Stages in the order deals move through them: the open stages, then the won stages, then
    the lost ones (:func:`closed_rank`).

    Within each, a stage's place is its average position within opportunities' histories; ties
    (a stage that is always first, like an undated Prospecting) fall back on the usual order of
    common stage names. Cached per database until the stage history changes.
    """
    count, last = session.execute(select(func.count(), func.max(StageChange.id))).one()
    bind = session.get_bind()
    key = (str(bind.engine.url), count, last)
    if key not in _ORDER_CACHE:
        if len(_ORDER_CACHE) > 32:
            _ORDER_CACHE.clear()
        _ORDER_CACHE[key] = _stage_order(session)
    return list(_ORDER_CACHE[key])


def _stage_order(session: Session) -> list[str]:
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
    return order_stages(rows, won=won)


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

    Forward means to a later stage than the one before it in that deal's history, and not to a
    lost stage: the buyer moved the deal on. Returns how many were added.
    """
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
        if not is_loss(row.stage) and rank[row.stage] > rank[row.previous]
    ]
    for start in range(0, len(new), 5000):
        session.execute(insert(BuyerAction), new[start : start + 5000])
    return len(new)
