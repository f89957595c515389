"""The quarantine: input that could not be used, kept with its source, position and reason."""

from __future__ import annotations

from sqlalchemy import func, select

from rightturn.crm.model import QuarantineItem
from rightturn.crm.store import Store


def list_quarantine(
    store: Store, *, kind: str | None = None, limit: int = 50
) -> tuple[list[QuarantineItem], int]:
    """The newest ``limit`` quarantined items (of ``kind``, if given) and how many there are."""
    query = select(QuarantineItem)
    if kind:
        query = query.where(QuarantineItem.kind == kind)
    with store.session() as s:
        total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
        items = list(
            s.scalars(
                query.order_by(QuarantineItem.created_at.desc(), QuarantineItem.id).limit(limit)
            )
        )
    return items, total
