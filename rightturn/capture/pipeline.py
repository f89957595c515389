"""The capture pipeline: every source ends here.

parse (the source) -> filter -> dedupe -> associate -> store, in batches. Each batch is one
transaction that also stores the source's checkpoint, so a run killed at any point resumes where
the last committed batch ended: nothing is lost and nothing is stored twice (and the unique key on
``(kind, source_id)`` makes a replay harmless even without the checkpoint).
"""

from __future__ import annotations

import gc
import hashlib
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from rightturn.associate.engine import Decision, ThreadHint, associate
from rightturn.associate.identity import IdentityIndex, load_index
from rightturn.capture.email_parse import settle
from rightturn.capture.excerpt import normalized_subject
from rightturn.capture.filters import drop_reason
from rightturn.capture.items import Captured, Located, Rejected, Source
from rightturn.capture.normalize import bound
from rightturn.capture.store import ActivityWriter
from rightturn.crm.model import Activity, CaptureCheckpoint, DroppedItem
from rightturn.crm.settings import bump_data_version
from rightturn.crm.store import Store

log = logging.getLogger(__name__)

# (source, units done, units in all if known, items read so far)
Progress = Callable[[Source, int, int | None, int], None]
BATCH = 2000
ANALYZE_AFTER = 1000  # new activities after which the planner's statistics are refreshed
CHUNK = 5000
CONFLICT_RETRIES = 8  # a batch another capture keeps winning is retried this often
# A reply without reply headers joins the latest thread with its subject within this window.
SUBJECT_THREAD_WINDOW = timedelta(days=60)


@dataclass
class CaptureStats:
    """What a capture run did; ``read`` = stored + merged + dropped + quarantined + skipped."""

    read: int = 0
    stored: int = 0  # new activities
    merged: int = 0  # already stored (another mailbox, a re-run): participants merged
    skipped: int = 0  # dropped before, in an earlier run
    quarantined: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    status: Counter[str] = field(default_factory=Counter)  # associated, needs_review, unmatched
    with_opportunity: int = 0
    new_contacts: int = 0
    nul_removed: int = 0  # NUL bytes taken out of stored values
    reasons: Counter[str] = field(default_factory=Counter)  # why items were quarantined

    def add(self, other: CaptureStats) -> None:
        for name in (
            "read",
            "stored",
            "merged",
            "skipped",
            "quarantined",
            "with_opportunity",
            "new_contacts",
            "nul_removed",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.dropped.update(other.dropped)
        self.status.update(other.status)
        self.reasons.update(other.reasons)


def capture(
    store: Store,
    sources: Iterable[Source],
    *,
    progress: Progress | None = None,
    batch: int = BATCH,
    index: IdentityIndex | None = None,
) -> CaptureStats:
    """Run every source through the pipeline, resuming each from its checkpoint.

    ``index`` lets a long-running caller (the web app) reuse an identity index it keeps; it is
    updated in place with the contacts and filings this run makes.
    """
    stats = CaptureStats()
    if index is not None:
        for source in sources:
            stats.add(_run_source(store, source, index, progress, batch))
        return stats
    with store.session() as s:
        index = load_index(s)
    # The index is hundreds of thousands of long-lived objects: without freezing them, every
    # full garbage collection rescans them (measured: 1.9 s of GC instead of 0.5 s on 80k
    # messages). Unfrozen afterwards, so a long-running process collects them again.
    gc.freeze()
    thresholds = gc.get_threshold()
    # Parsing allocates many short-lived objects and few cycles: collect the young less often.
    gc.set_threshold(50_000, 20, 20)
    try:
        for source in sources:
            stats.add(_run_source(store, source, index, progress, batch))
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    if stats.stored >= ANALYZE_AFTER:  # a bulk load changed the data's shape
        store.analyze()
    return stats


def _run_source(
    store: Store, source: Source, index: IdentityIndex, progress: Progress | None, size: int
) -> CaptureStats:
    stats = CaptureStats()
    with store.session() as s:
        checkpoint = s.scalar(
            select(CaptureCheckpoint.checkpoint).where(CaptureCheckpoint.source_key == source.key)
        )
    total = source.total()
    pending: list[Located] = []
    for located in source.read(checkpoint):
        pending.append(located)
        if len(pending) >= size:
            _commit(store, source, pending, index, stats)
            if progress:
                progress(source, located.done, total, stats.read)
            pending = []
    if pending:
        _commit(store, source, pending, index, stats)
        if progress:
            progress(source, pending[-1].done, total, stats.read)
    log.info("capture %s: %s", source.key, stats)
    return stats


def _commit(
    store: Store, source: Source, batch: list[Located], index: IdentityIndex, stats: CaptureStats
) -> None:
    """Store one batch and the source's checkpoint in one transaction.

    Another capture may store some of the same items at the same moment (two people's mailboxes
    share every message between them). The checkpoint is written first, which on SQLite takes
    the database's write lock before anything is read, so batches there run one after another.
    On PostgreSQL both may insert the same Message-ID: the loser's transaction fails on the
    unique key, is rolled back whole, and is run again, now finding the other's copy already
    stored (merged, as any repeat). Nothing is counted until a batch commits.
    """
    items = [located.item for located in batch]
    for attempt in range(1, CONFLICT_RETRIES + 1):
        done = CaptureStats()
        try:
            with store.session() as s:
                writer_checkpoint(s, source.key, batch[-1].checkpoint)
                s.flush()
                _Batch(s, index, done).run(items)
                # A merge only adds participants, which no cached figure reads: a re-run of a
                # mailbox leaves the caches warm. Last, so the version row stays locked only
                # until the commit that follows (PostgreSQL captures queue on it briefly).
                if done.stored or done.new_contacts:
                    bump_data_version(s)
        except (IntegrityError, OperationalError) as exc:
            if attempt == CONFLICT_RETRIES or not _is_conflict(exc):
                raise
            log.info("capture %s: another capture stored the same items; retrying", source.key)
            time.sleep(random.uniform(0.05, 0.2) * attempt)
            continue
        stats.add(done)
        return


def _is_conflict(exc: Exception) -> bool:
    """A unique key another transaction won, or (SQLite) its lock held past the busy timeout."""
    if isinstance(exc, IntegrityError):
        return True
    return "database is locked" in str(exc) or "deadlock detected" in str(exc)


def writer_checkpoint(session: Session, key: str, checkpoint: str) -> None:
    """Store where a source stands, in the caller's transaction."""
    row = session.get(CaptureCheckpoint, key)
    if row is None:
        session.add(CaptureCheckpoint(source_key=key, checkpoint=checkpoint))
    else:
        row.checkpoint = checkpoint


def fingerprint(item: Captured) -> str | None:
    """What makes two records the same activity when their ids differ.

    Email: sender, date, normalized subject and body hash (Exchange rewrites Message-IDs).
    Calls: the minute it started and both numbers (two call logs, a phone system's and a
    dialer's, give one call different ids). Meetings keep their UID, which calendars share.
    """
    if item.kind == "call":
        numbers = sorted(p.address for p in item.parties)
        if len(numbers) < 2:
            return None
        raw = "|".join(("call", item.occurred_at.strftime("%Y%m%d%H%M"), *numbers))
    elif item.kind == "email" and item.sender is not None:
        raw = "|".join(
            (
                item.sender.address,
                item.occurred_at.strftime("%Y%m%d%H%M%S"),
                normalized_subject(item.subject or ""),
                item.body_hash or "",
            )
        )
    else:
        return None
    return hashlib.sha1(raw.encode()).hexdigest()


def reason_kind(reason: str) -> str:
    """A quarantine reason without its particulars, for counting: "duration_s 10 is outside
    0 to 604,800; fix it at the source" -> "duration_s is outside"."""
    head = reason.split(";")[0].split(" (")[0]
    words = [w for w in head.split() if not any(ch.isdigit() for ch in w)]
    return " ".join(words[:8])


def subject_key(subject: str | None) -> str | None:
    norm = normalized_subject(subject or "")
    return hashlib.sha1(norm.encode()).hexdigest() if norm else None


class _Batch:
    """One batch: dedupe against the store, filter, associate, write."""

    def __init__(self, session: Session, index: IdentityIndex, stats: CaptureStats) -> None:
        self.s = session
        self.index = index
        self.stats = stats
        self.writer = ActivityWriter(session, index)
        # Threads decided in this batch: Message-ID -> (thread_id, hint)
        self.local: dict[str, tuple[str, ThreadHint]] = {}
        # Subject key -> (sent, thread_id, hint) of the latest message of this batch with it.
        self.local_subjects: dict[str, tuple[Any, str, ThreadHint]] = {}

    def run(self, items: list[Captured | Rejected]) -> None:
        captured: dict[tuple[str, str], Captured] = {}
        for raw in items:
            self.stats.read += 1
            item, nul = bound(raw)
            self.stats.nul_removed += nul
            if isinstance(item, Rejected):
                self.writer.quarantine(item)
                self.stats.quarantined += 1
                self.stats.reasons[reason_kind(item.reason)] += 1
                continue
            key: tuple[str, str] = (item.kind, item.source_id)
            if key in captured:  # the same message twice in one batch (two mailboxes)
                captured[key].parties = _merge_parties(captured[key].parties, item.parties)
                self.stats.merged += 1
            else:
                captured[key] = item
        if not captured:
            self.writer.flush()  # a batch of nothing but rejects still quarantines them
            return
        stored = self._existing(Activity, captured)
        dropped = self._existing(DroppedItem, captured)
        fresh: list[Captured] = []
        for key, item in captured.items():
            if key in stored:
                self.writer.merge_participants(stored[key], item)
                self.stats.merged += 1
            elif key in dropped:
                self.stats.skipped += 1
            else:
                fresh.append(item)
        # Filter first: what is dropped needs neither its body cleaned nor a fingerprint.
        kept: list[Captured] = []
        for item in fresh:
            if item.kind == "call":
                item.parties = [
                    replace(p, address=self.index.resolve(p.address)) for p in item.parties
                ]
            reason = drop_reason(item, self.index)
            if reason is not None:
                self.writer.drop(item, *reason, rep_id=rep_of(item, self.index))
                self.stats.dropped[reason[0]] += 1
            else:
                kept.append(settle(item))
        prints = [fingerprint(item) for item in kept]
        by_print = self._by_fingerprint([fp for fp in prints if fp])
        threads = self._thread_hints(kept)
        for item, fp in zip(kept, prints, strict=True):
            if fp is not None and fp in by_print:
                self.writer.merge_participants(by_print[fp], item)
                self.stats.merged += 1
                continue
            thread_id, hint = self._thread_of(item, threads)
            decision = associate(item, self.index, hint)
            self.writer.add(item, decision, thread_id, fp, subject_key(item.subject))
            self._remember(item, thread_id, decision)
            self.index.record_filed(decision.contact_id, item.occurred_at, decision.opportunity_id)
            self.stats.stored += 1
            self.stats.status[decision.status] += 1
            self.stats.with_opportunity += decision.opportunity_id is not None
            self.stats.new_contacts += len(decision.new_contacts)
        self.writer.flush()

    # --- look-ups in the store, one query per batch -----------------------------------------

    def _existing(
        self, model: Any, captured: dict[tuple[str, str], Captured]
    ) -> dict[tuple[str, str], int]:
        # By source_id alone (the index's leading column), then kind in Python: a row-value
        # IN list is not an index look-up on PostgreSQL.
        ids = sorted({source_id for _, source_id in captured})
        found: dict[tuple[str, str], int] = {}
        pk = model.activity_id if model is Activity else model.id
        for start in range(0, len(ids), CHUNK):
            query = select(model.kind, model.source_id, pk).where(
                model.source_id.in_(ids[start : start + CHUNK])
            )
            for kind, source_id, ident in self.s.execute(query):
                if (kind, source_id) in captured:
                    found[(kind, source_id)] = ident
        return found

    def _by_fingerprint(self, prints: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(prints), CHUNK):
            query = select(Activity.fingerprint, Activity.activity_id).where(
                Activity.fingerprint.in_(prints[start : start + CHUNK])
            )
            found.update((fp, ident) for fp, ident in self.s.execute(query) if fp is not None)
        return found

    def _thread_hints(self, fresh: list[Captured]) -> dict[str, tuple[str, ThreadHint]]:
        """Message-ID -> (thread_id, hint) for every stored message these items refer to."""
        refs = sorted({r for item in fresh for r in _refs(item)})
        found: dict[str, tuple[str, ThreadHint]] = {}
        for start in range(0, len(refs), CHUNK):
            query = select(
                Activity.source_id,
                Activity.thread_id,
                Activity.opportunity_id,
                Activity.account_id,
                Activity.manual,
            ).where(Activity.kind == "email", Activity.source_id.in_(refs[start : start + CHUNK]))
            for source_id, thread_id, opp, account, manual in self.s.execute(query):
                found[source_id] = (
                    thread_id or source_id,
                    ThreadHint(opp, account, manual),
                )
        return found

    def _thread_of(
        self, item: Captured, stored: dict[str, tuple[str, ThreadHint]]
    ) -> tuple[str, ThreadHint | None]:
        if item.kind != "email":
            return item.source_id, None
        refs = _refs(item)
        # The nearest ancestor that is known decides: the parent first, then older references.
        for ref in reversed(refs):
            known = self.local.get(ref) or stored.get(ref)
            if known is not None:
                return known
        if refs:
            return refs[0], None
        if (
            item.subject
            and normalized_subject(item.subject) != (item.subject or "").strip().lower()
        ):
            return self._thread_by_subject(item)
        return item.source_id, None

    def _thread_by_subject(self, item: Captured) -> tuple[str, ThreadHint | None]:
        """Mail without reply headers (Enron): the latest thread with the same subject."""
        key = subject_key(item.subject)
        # This batch first (not written yet), so threading does not depend on batch boundaries.
        local = self.local_subjects.get(key or "")
        if (
            local is not None
            and timedelta(0) <= item.occurred_at - local[0] <= SUBJECT_THREAD_WINDOW
        ):
            return local[1], local[2]
        query = (
            select(
                Activity.thread_id, Activity.opportunity_id, Activity.account_id, Activity.manual
            )
            .where(
                Activity.subject_key == key,
                Activity.occurred_at <= item.occurred_at,
                Activity.occurred_at >= item.occurred_at - SUBJECT_THREAD_WINDOW,
            )
            .order_by(Activity.occurred_at.desc())
            .limit(1)
        )
        row = self.s.execute(query).first()
        if row is None:
            return item.source_id, None
        return row.thread_id, ThreadHint(row.opportunity_id, row.account_id, row.manual)

    def _remember(self, item: Captured, thread_id: str, decision: Decision) -> None:
        if item.kind == "email":
            hint = ThreadHint(decision.opportunity_id, decision.account_id, False)
            self.local[item.source_id] = (thread_id, hint)
            key = subject_key(item.subject)
            if key:
                self.local_subjects[key] = (item.occurred_at, thread_id, hint)


def _refs(item: Captured) -> list[str]:
    refs = list(item.references)
    if item.in_reply_to and item.in_reply_to not in refs:
        refs.append(item.in_reply_to)
    return refs


def _merge_parties(a: list, b: list) -> list:
    seen = {(p.role, p.address) for p in a}
    return a + [p for p in b if (p.role, p.address) not in seen]


def rep_of(item: Captured, index: IdentityIndex) -> str | None:
    """The rep among an item's parties (the first one found), or None."""
    return next((rep for p in item.parties if (rep := index.rep_of(p.address))), None)
