"""Activities pushed by another system (a dialer, a meeting tool) through the HTTP API.

A pushed call or meeting becomes the same :class:`~rightturn.capture.items.Captured` a call log
or a calendar gives, and goes through the same pipeline: filter, dedupe, associate, store. A
repeat of the same ``external_id`` is the same activity (its participants are merged), and so is
the same call or meeting under another id: a call with the same numbers in the same minute (the
pipeline's fingerprint), a meeting with the same organizer, start and attendees.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rightturn.associate.identity import IdentityIndex, load_index
from rightturn.capture.calls import DIRECTIONS, OUTCOMES, call_number
from rightturn.capture.items import Captured, ItemsSource, Party
from rightturn.capture.pipeline import capture, fingerprint
from rightturn.crm.bounds import LONGEST_CALL_S, bounded_int, bounded_time
from rightturn.crm.identity import email_address
from rightturn.crm.model import Activity, ActivityParticipant, DroppedItem
from rightturn.crm.queries import named_activity
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.errors import NotFound, ParseError

__all__ = ["MAX_ATTENDEES", "PushResult", "call_item", "meeting_item", "push", "reps_of"]

SOURCE = "api"
RESPONSES = ("accepted", "declined", "tentative", "needs_action")
# A meeting with more is a mailing list or an all-hands, not a sales meeting: refused, not cut.
MAX_ATTENDEES = 500


@dataclass(frozen=True)
class PushResult:
    """What became of one pushed item."""

    outcome: str  # stored, duplicate, dropped
    activity: dict[str, Any] | None
    reason: str | None = None


def _utc(when: datetime, name: str) -> datetime:
    if when.tzinfo is None:
        raise ParseError(f"{name} has no time zone: send it as 2026-05-04T15:54:01+00:00")
    return bounded_time(when, name).astimezone(UTC)


def _duration(seconds: int | None) -> int | None:
    return bounded_int(seconds, "duration_s", 0, LONGEST_CALL_S)


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
    """A call as the pipeline takes it. Raises ParseError naming the bad field (a time outside
    1970 to 2100, a duration outside 0 to a week, a number that is not a phone number)."""
    if direction is not None and direction not in DIRECTIONS:
        raise ParseError(f"direction {direction!r} is not one of {', '.join(DIRECTIONS)}")
    if outcome is not None and outcome not in OUTCOMES:
        raise ParseError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
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
        duration_s=_duration(duration_s),
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
    """A meeting as the pipeline takes it; attendees are ``(email, name, response)``, at most
    :data:`MAX_ATTENDEES`. Raises ParseError naming the bad field."""
    attendees = list(attendees)
    if len(attendees) > MAX_ATTENDEES:
        raise ParseError(
            f"attendees has {len(attendees):,} people; a meeting takes at most {MAX_ATTENDEES}"
        )
    parties = [Party("organizer", email_address(organizer, "organizer"))]
    for n, (email, name, response) in enumerate(attendees):
        if response is not None and response not in RESPONSES:
            raise ParseError(
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
        duration_s=_duration(duration_s),
        cancelled=cancelled,
    )


def reps_of(item: Captured, index: IdentityIndex) -> set[str]:
    """Every rep among the item's parties (who may push it)."""
    return {rep for p in item.parties if (rep := index.rep_of(index.resolve(p.address)))}


def push(
    store: Store, item: Captured, *, index: IdentityIndex | None = None, scope: Scope | None = None
) -> PushResult:
    """Run one pushed item through the capture pipeline and say what became of it.

    ``duplicate`` when the same ``external_id`` was captured before, or the same call or meeting
    under another id (the stored one is handed back; nothing new is stored). With ``scope``, an
    id already stored for an activity the pusher may not see is refused as not found (rather
    than merging into it and handing it back); a copy found by content that they may not see is
    a duplicate without the activity."""
    if index is None:
        with store.session() as s:
            index = load_index(s)

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
    if before is None and (same := _same_content(store, item, index)) is not None:
        return _duplicate(store, same, scope)
    capture(store, [ItemsSource(f"{SOURCE}:{item.kind}", [item])], index=index)
    after = stored()
    if after is not None:
        outcome = "duplicate" if before is not None else "stored"
        return PushResult(outcome, _row(store, after))
    # The pipeline may still have found a copy by content (its fingerprint, or a copy another
    # capture stored meanwhile) and merged into it, storing nothing under this id.
    if (same := _same_content(store, item, index)) is not None:
        return _duplicate(store, same, scope)
    with store.session() as s:
        dropped = s.scalar(
            select(DroppedItem).where(
                DroppedItem.source_id == item.source_id, DroppedItem.kind == item.kind
            )
        )
    reason = f"{dropped.reason}: {dropped.detail}" if dropped else "not stored"
    return PushResult("dropped", None, reason)


def _duplicate(store: Store, activity: Activity, scope: Scope | None) -> PushResult:
    if scope is not None and not scope.sees_rep(activity.rep_id):
        return PushResult(
            "duplicate", None, "already captured, filed under a rep outside your scope"
        )
    return PushResult(
        "duplicate",
        _row(store, activity),
        f"already captured as {activity.source}:{activity.source_id}",
    )


def _row(store: Store, activity: Activity) -> dict[str, Any]:
    """The activity as the API shows it, names included."""
    with store.session() as s:
        return named_activity(s, activity.activity_id)


def _same_content(store: Store, item: Captured, index: IdentityIndex) -> Activity | None:
    """The stored activity this item repeats under another id, or None.

    A call: the pipeline's fingerprint (the minute it started and both numbers, as the identity
    index resolves them). A meeting: the same organizer, start time and set of attendees.
    """
    with store.session() as s:
        if item.kind == "call":
            parties = [replace(p, address=index.resolve(p.address)) for p in item.parties]
            print_ = fingerprint(replace(item, parties=parties))
            if print_ is None:
                return None
            return s.scalars(
                select(Activity)
                .where(Activity.fingerprint == print_, Activity.kind == "call")
                .order_by(Activity.activity_id)
                .limit(1)
            ).first()
        if item.kind == "meeting":
            return _same_meeting(s, item)
    return None


def _same_meeting(s: Session, item: Captured) -> Activity | None:
    organizer = item.sender.address if item.sender else None
    if organizer is None:
        return None
    attendees = {p.address.lower() for p in item.parties if p.role == "attendee"} - {organizer}
    participant = ActivityParticipant
    hosted = select(participant.activity_id).where(
        participant.role == "organizer", participant.address == organizer
    )
    candidates = list(
        s.scalars(
            select(Activity.activity_id)
            .where(
                Activity.kind == "meeting",
                Activity.occurred_at == item.occurred_at,
                Activity.activity_id.in_(hosted),
            )
            .order_by(Activity.activity_id)
        )
    )
    if not candidates:
        return None
    seen: dict[int, set[str]] = {ident: set() for ident in candidates}
    for ident, address in s.execute(
        select(participant.activity_id, participant.address).where(
            participant.activity_id.in_(candidates), participant.role == "attendee"
        )
    ):
        seen[ident].add(address.lower())
    for ident in candidates:
        if seen[ident] - {organizer} == attendees:
            return s.get(Activity, ident)
    return None
