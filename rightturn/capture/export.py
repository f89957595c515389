"""``rightturn activities export``: the stored activities (or the dropped ones) as CSV.

The activity columns are a contract other tools read; keep them exactly and add only at the end:
``activity_id, kind, source, source_id, occurred_at, direction, rep_id, contact_id, account_id,
opportunity_id, status, confidence, reason``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from sqlalchemy import select

from rightturn.crm.model import Activity, DroppedItem, QuarantineItem
from rightturn.crm.store import Store

ACTIVITY_COLUMNS = (
    "activity_id", "kind", "source", "source_id", "occurred_at", "direction", "rep_id",
    "contact_id", "account_id", "opportunity_id", "status", "confidence", "reason",
)  # fmt: skip
DROPPED_COLUMNS = ("kind", "source", "source_id", "position", "occurred_at", "reason", "detail")
PAGE = 10_000


def _iso(value: object) -> str:
    return (
        value.isoformat() if hasattr(value, "isoformat") else ("" if value is None else str(value))
    )


def export_activities(store: Store, out: TextIO) -> int:
    """Write every stored activity, oldest id first, streaming in pages; returns the row count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ACTIVITY_COLUMNS)
    columns = [getattr(Activity, c) for c in ACTIVITY_COLUMNS]
    count = 0
    for rows in _pages(store, select(*columns), Activity.activity_id):
        for row in rows:
            writer.writerow([_iso(v) for v in row])
        count += len(rows)
    return count


def export_dropped(store: Store, out: TextIO) -> int:
    """Write every filtered and quarantined item with its reason; returns the row count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DROPPED_COLUMNS)
    count = 0
    with store.session() as s:
        for d in s.scalars(select(DroppedItem).order_by(DroppedItem.id)).yield_per(PAGE):
            writer.writerow(
                [
                    d.kind,
                    d.source,
                    d.source_id,
                    d.position,
                    _iso(d.occurred_at),
                    d.reason,
                    d.detail or "",
                ]
            )
            count += 1
        for q in s.scalars(select(QuarantineItem).order_by(QuarantineItem.id)).yield_per(PAGE):
            writer.writerow([q.kind, q.source, "", q.position, "", "quarantined", q.reason])
            count += 1
    return count


def _pages(store: Store, query: Any, key: Any) -> Iterator[Sequence[Any]]:
    """Keyset pagination: bounded memory however many activities there are."""
    last = None
    while True:
        page = query.order_by(key).limit(PAGE)
        if last is not None:
            page = page.where(key > last)
        with store.session() as s:
            rows = s.execute(page).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]
