"""What every capture source produces: a stream of captured items or rejections.

A source (mbox, Maildir, .eml, IMAP, a call log, a calendar, the HTTP API) is only an iterator of
:class:`Captured` (one email, call or meeting, parsed and normalized) and :class:`Rejected`
(input that could not be read, with where it was and why). Everything after that — filtering,
dedupe, association, storage — is the one shared pipeline, so no channel carries its own rules.
"""

from __future__ import annotations

from collections.abc import Iterator
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
    # A body not cleaned yet (see email_parse.parse_message's lazy_body): settle() cleans it.
    pending_body: str | None = field(default=None, repr=False, compare=False)

    def settle(self) -> Captured:
        """Compute ``body_excerpt`` and ``body_hash`` if the source left the body raw."""
        if self.pending_body is not None:
            from rightturn.capture.email_parse import settle_body

            self.body_excerpt, self.body_hash = settle_body(self.pending_body)
            self.pending_body = None
        return self

    @property
    def sender(self) -> Party | None:
        """The party who sent, organized or placed it."""
        return next((p for p in self.parties if p.role in ("from", "organizer", "caller")), None)


@dataclass(frozen=True)
class Rejected:
    """Input that could not be read as an activity: quarantined with its reason, never dropped."""

    kind: Kind
    source: str  # the file, mailbox or endpoint
    position: str  # offset, line, UID, event index
    reason: str
    excerpt: str | None = None  # a short, non-body excerpt (headers or the raw line)


Item = Captured | Rejected
ItemStream = Iterator[Item]


@dataclass(frozen=True)
class Located:
    """An item with where the source stands after it.

    ``checkpoint`` is an opaque string the source can resume from (it is stored in the same
    transaction as the items before it, so a crash never skips or repeats work); ``done`` is how
    many units (bytes, rows, messages) are behind, for the progress bar.
    """

    item: Item
    checkpoint: str
    done: int


class Source:
    """A place activities come from. Subclasses implement :meth:`read` (and may :meth:`total`).

    ``key`` names the source stably across runs (``mbox:/abs/path.mbox``,
    ``imap:user@host:993/INBOX``) so its checkpoint can be found again.
    """

    key: str
    label: str  # shown on the progress bar

    def total(self) -> int | None:
        """How many units :meth:`read` will report in ``done`` at the end, if known."""
        return None

    def read(self, checkpoint: str | None) -> Iterator[Located]:
        """Yield items from ``checkpoint`` on (None: from the start)."""
        raise NotImplementedError


class ItemsSource(Source):
    """Items already parsed elsewhere (the HTTP API, tests): the pipeline's simplest source."""

    def __init__(self, key: str, items: list[Item], label: str | None = None) -> None:
        self.key = key
        self.label = label or key
        self._items = items

    def total(self) -> int:
        return len(self._items)

    def read(self, checkpoint: str | None) -> Iterator[Located]:
        # Items handed over in memory are all read: a checkpoint of an earlier, different list
        # means nothing here, and the (kind, source_id) key keeps a repeat harmless.
        for n, item in enumerate(self._items, start=1):
            yield Located(item, str(n), n)
