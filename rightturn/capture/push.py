"""Activities pushed by another system (a dialer, a meeting tool) through the HTTP API.

A pushed call or meeting becomes the same :class:`~rightturn.capture.items.Captured` a call log
or a calendar gives, and goes through the same pipeline: filter, dedupe, associate, store. A
repeat of the same ``external_id`` is the same activity (its participants are merged).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from rightturn.associate.identity import IdentityIndex
from rightturn.capture.calls import DIRECTIONS, OUTCOMES, call_number
from rightturn.capture.items import Captured, ItemsSource, Party
from rightturn.capture.pipeline import capture
from rightturn.crm.identity import email_address
from rightturn.crm.model import Activity, DroppedItem
from rightturn.crm.queries import activity_row
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.errors import NotFound

__all__ = ["PushResult", "call_item", "meeting_item", "push", "reps_of"]

SOURCE = "api"
RESPONSES = ("accepted", "declined", "tentative", "needs_action")


@dataclass(frozen=True)
class PushResult:
    """What became of one pushed item."""

    outcome: str  # stored, duplicate, dropped
    activity: dict[str, Any] | None
    reason: str | None = None


def _utc(when: datetime, name: str) -> datetime:
    if when.tzinfo is None:
        raise ValueError(f"{name} has no time zone: send it as 2026-05-04T15:54:01+00:00")
    return when.astimezone(UTC)


def call_item(
    *,
    external_id: str,
    started_at: datetime,
    from_number: str,
    to_number: str,
    direction: str | None = None,
    duration_s: int | None = None,
    outcome: str | None = None,
    subject: str | None = None,
    notes: str | None = None,
    region: str = "US",
) -> Captured:
    """A call as the pipeline takes it. Raises ValueError naming the bad field."""
    if direction is not None and direction not in DIRECTIONS:
        raise ValueError(f"direction {direction!r} is not one of {', '.join(DIRECTIONS)}")
    if outcome is not None and outcome not in OUTCOMES:
        raise ValueError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    return Captured(
        kind="call",
        source=SOURCE,
        source_id=external_id,
        position=f"api:{external_id}",
        occurred_at=_utc(started_at, "started_at"),
        parties=[
            Party("caller", call_number(from_number, "from_number", region)),
            Party("callee", call_number(to_number, "to_number", region)),
        ],
        subject=subject,
        body_excerpt=notes,
        duration_s=duration_s,
        outcome=outcome,
        direction_hint=direction,
    )


def meeting_item(
    *,
    external_id: str,
    started_at: datetime,
    organizer: str,
    attendees: Iterable[tuple[str, str | None, str | None]],
    duration_s: int | None = None,
    subject: str | None = None,
    notes: str | None = None,
    cancelled: bool = False,
) -> Captured:
    """A meeting as the pipeline takes it; attendees are ``(email, name, response)``."""
    parties = [Party("organizer", email_address(organizer, "organizer"))]
    for n, (email, name, response) in enumerate(attendees):
        if response is not None and response not in RESPONSES:
            raise ValueError(
                f"attendees[{n}].response {response!r} is not one of {', '.join(RESPONSES)}"
            )
        parties.append(
            Party("attendee", email_address(email, f"attendees[{n}].email"), name, response)
        )
    return Captured(
        kind="meeting",
        source=SOURCE,
        source_id=external_id,
        position=f"api:{external_id}",
        occurred_at=_utc(started_at, "started_at"),
        parties=parties,
        subject=subject,
        body_excerpt=notes,
        duration_s=duration_s,
        cancelled=cancelled,
    )


def reps_of(item: Captured, index: IdentityIndex) -> set[str]:
    """Every rep among the item's parties (who may push it)."""
    return {rep for p in item.parties if (rep := index.rep_of(index.resolve(p.address)))}


def push(
    store: Store, item: Captured, *, index: IdentityIndex | None = None, scope: Scope | None = None
) -> PushResult:
    """Run one pushed item through the capture pipeline and say what became of it.

    With ``scope``, an id already stored for an activity the pusher may not see is refused as
    not found (rather than merging into it and handing it back)."""

    def stored() -> Activity | None:
        with store.session() as s:
            return s.scalar(
                select(Activity).where(
                    Activity.source_id == item.source_id, Activity.kind == item.kind
                )
            )

    before = stored()
    if before is not None and scope is not None and not scope.sees_rep(before.rep_id):
        raise NotFound(f"external_id {item.source_id!r} belongs to an activity you cannot see")
    capture(store, [ItemsSource(f"{SOURCE}:{item.kind}", [item])], index=index)
    after = stored()
    if after is not None:
        outcome = "duplicate" if before is not None else "stored"
        return PushResult(outcome, activity_row(after, body=True))
    with store.session() as s:
        dropped = s.scalar(
            select(DroppedItem).where(
                DroppedItem.source_id == item.source_id, DroppedItem.kind == item.kind
            )
        )
    reason = f"{dropped.reason}: {dropped.detail}" if dropped else "not stored"
    return PushResult("dropped", None, reason)
