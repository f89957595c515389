"""An activity as a source saw it: the type capture produces and association reads.

It lives below both (capture parses into it; association decides on it; re-association rebuilds
it from stored rows), so neither package imports the other for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Kind = Literal["email", "call", "meeting"]
# from/to/cc/bcc for email; organizer/attendee for meetings; caller/callee for calls
Role = Literal["from", "to", "cc", "bcc", "reply_to", "organizer", "attendee", "caller", "callee"]


@dataclass(frozen=True)
class Party:
    """One participant: a lower-cased email address or an E.164 phone number, with a name."""

    role: Role
    address: str
    name: str | None = None
    # For meeting attendees: accepted, declined, tentative, needs_action (None when unknown).
    response: str | None = None


@dataclass
class Captured:
    """One activity as a source saw it, before filtering, dedupe and association.

    ``source_id`` is the dedupe key within ``kind``: the Message-ID (with its angle brackets)
    for email, the call log's id (or a stable hash of the call) for calls, the event UID for
    meetings (with ``/RECURRENCE-ID`` for one occurrence of a recurring event). ``position``
    says where in the source it was (``file:offset``, an IMAP UID, a CSV line), for messages
    and resumption.
    """

    kind: Kind
    source: str  # mbox, maildir, eml, imap, calls, ics, api
    source_id: str
    position: str
    occurred_at: datetime  # timezone-aware
    parties: list[Party] = field(default_factory=list)
    subject: str | None = None
    body_excerpt: str | None = None  # quoted replies and signatures stripped; at most ~2,000 chars
    body_hash: str | None = None  # of the full normalized body, for the Exchange fallback key
    duration_s: int | None = None
    outcome: str | None = None  # calls: connected, voicemail, no_answer
    direction_hint: str | None = None  # calls: inbound/outbound as the log says
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    # Headers the filters read (email): List-Unsubscribe, List-Id, Precedence, Auto-Submitted,
    # X-Autoreply, X-Auto-Response-Suppress — names lower-cased.
    headers: dict[str, str] = field(default_factory=dict)
    cancelled: bool = False  # meetings
    # A body not cleaned yet (see capture.email_parse.parse_message's lazy_body): the pipeline
    # cleans it (capture.email_parse.settle) only for what survives the filters.
    pending_body: str | None = field(default=None, repr=False, compare=False)

    @property
    def sender(self) -> Party | None:
        """The party who sent, organized or placed it."""
        return next((p for p in self.parties if p.role in ("from", "organizer", "caller")), None)
