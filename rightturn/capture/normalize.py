"""Every captured value bounded before it reaches the database: the pipeline's one gate.

Sources parse what real mail, call logs and calendars hold, which includes NUL bytes, Message-IDs
thousands of characters long, call durations of 10^23 seconds and dates in year 1. One value like
that must not stop a batch (on PostgreSQL, one NUL aborted the whole mailbox, and every re-run
after it). Here each item is made storable or quarantined with the reason; the run goes on.

- Text (subject, body, names, outcome, positions): NUL bytes removed and counted; cut to the
  column's size.
- Keys (Message-ID, call id, UID, and the ids a reply refers to): NUL bytes removed; a key longer
  than its column is replaced by a stable digest of itself, so the message is kept, re-captures
  still find it, and replies to it still join its thread.
- Addresses longer than an address can be (320 characters) are dropped from the parties.
- Numbers and times out of range quarantine the item, naming the field: a call's duration must lie
  between 0 and a week, a time between 1970 and 2100.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from rightturn.capture.items import Captured, Item, Party, Rejected
from rightturn.crm.bounds import (
    LONGEST_CALL_S,
    OutOfBounds,
    bounded_int,
    bounded_time,
    clean_text,
    strip_nul,
)

KEY = 1000  # source_id, thread ids
POSITION = 1000
SUBJECT = 1000
NAME = 300
ADDRESS = 320
OUTCOME = 50
QUARANTINE_POSITION = 200
SOURCE = 1000


def storable_key(value: str) -> str:
    """A key that fits its column: itself, or a digest of itself when too long."""
    value = strip_nul(value)
    if len(value) <= KEY:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def bound(item: Item) -> tuple[Item, int]:
    """The item with every value storable, or its rejection; and how many NUL bytes went."""
    if isinstance(item, Rejected):
        return _bound_rejected(item), 0
    nul = _nul_count(item)
    try:
        occurred_at = bounded_time(item.occurred_at, "the time")
        duration = bounded_int(item.duration_s, "duration_s", 0, LONGEST_CALL_S)
    except OutOfBounds as exc:
        return _bound_rejected(
            Rejected(item.kind, item.source, item.position, f"{exc}; fix it at the source", None)
        ), nul
    parties = [
        Party(p.role, clean_text(p.address) or "", clean_text(p.name, NAME), p.response)
        for p in item.parties
        if len(p.address) <= ADDRESS
    ]
    return replace(
        item,
        source_id=storable_key(item.source_id),
        position=clean_text(item.position, POSITION) or "",
        occurred_at=occurred_at,
        duration_s=duration,
        parties=parties,
        subject=clean_text(item.subject, SUBJECT),
        body_excerpt=clean_text(item.body_excerpt),
        pending_body=clean_text(item.pending_body),
        outcome=clean_text(item.outcome, OUTCOME),
        in_reply_to=storable_key(item.in_reply_to) if item.in_reply_to else item.in_reply_to,
        references=[storable_key(r) for r in item.references],
    ), nul


def _nul_count(item: Captured) -> int:
    texts = [item.source_id, item.subject, item.body_excerpt, item.pending_body, item.outcome]
    texts += [p.name for p in item.parties] + [p.address for p in item.parties]
    return sum(t.count("\x00") for t in texts if t)


def _bound_rejected(item: Rejected) -> Rejected:
    return Rejected(
        item.kind,
        clean_text(item.source, SOURCE) or "",
        clean_text(item.position, QUARANTINE_POSITION) or "",
        clean_text(item.reason) or "",
        clean_text(item.excerpt),
    )
