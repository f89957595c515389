"""What every capture source produces: a stream of captured items or rejections.

A source (mbox, Maildir, .eml, IMAP, a call log, a calendar, the HTTP API) is only an iterator of
:class:`Captured` (one email, call or meeting, parsed and normalized) and :class:`Rejected`
(input that could not be read, with where it was and why). Everything after that — filtering,
dedupe, association, storage — is the one shared pipeline, so no channel carries its own rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rightturn.crm.captured import Captured, Kind, Party, Role

__all__ = [
    "Captured",
    "Item",
    "ItemStream",
    "ItemsSource",
    "Kind",
    "Located",
    "Party",
    "Rejected",
    "Role",
    "Source",
]


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
