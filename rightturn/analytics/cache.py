"""The panel's analytics reports, computed once per change of the data rather than per request.

A report replays the whole pipeline (:func:`~rightturn.analytics.snapshot.load_snapshot`):
seconds at 1,000 reps. Its figures change only when the data does or the day does, so
:func:`cached_metrics_report` keeps each report under a key naming everything it depends on:

* the database (its URL) and the data's version (:func:`~rightturn.crm.settings.data_stamp`,
  which every capture, import and review decision bumps in the transaction that changes the
  data): a change makes every older entry unreachable;
* the viewer's scope (the rep ids they see): a rep never gets a manager's figures;
* the exact ``as_of`` moment (the pages pass the end of a day, so "today" hits all day), the
  period, the sections and the number of deals listed per flag.

Entries are stored pickled: a hit hands each request its own copy (a page that changed its
report could not change the next viewer's), and the pickle's length is the entry's real size.
:func:`cached_for_data` does the same for any other figure that changes only with the data
(the dates a viewer's data covers, say). The cache holds at most :data:`MAX_ENTRIES` entries
and :data:`MAX_BYTES` bytes, dropping the least recently used first. A database that was never
versioned (no capture, import or review since migration 0007) is not cached: nothing would
tell its entries stale.
"""

from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, TypeVar

from rightturn.analytics.report import SECTIONS, metrics_report
from rightturn.analytics.span import DataSpan, data_span
from rightturn.associate.review import review_accounts, review_queue
from rightturn.crm.scope import Scope
from rightturn.crm.settings import data_stamp
from rightturn.crm.store import Store

__all__ = [
    "MAX_BYTES",
    "MAX_ENTRIES",
    "ReportCache",
    "cached_data_span",
    "cached_for_data",
    "cached_metrics_report",
    "cached_review_waiting",
    "report_cache",
]

T = TypeVar("T")

MAX_ENTRIES = 64
# Reports, not snapshots: on the 1,000-rep org of `make bench-full` a snapshot holds ~220 MiB of
# frames (with its history), while a page's report pickles to 0.2-1 MiB (every section: 1.2), so
# 64 entries stay under ~80 MiB. The byte bound guards against an org far larger than that.
MAX_BYTES = 256 * 1024 * 1024


class ReportCache:
    """A thread-safe LRU of pickled values, bounded by entry count and total bytes.

    Two requests missing the same key at once compute it once: the second waits for the first
    (each cold report costs seconds of a shared CPU)."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes held (the pickles' lengths)."""
        return self._bytes

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value under ``key`` (a fresh copy), computing and storing it on a miss."""
        found = self._lookup(key)
        if found is not None:
            return pickle.loads(found)
        with self._lock:
            computing = self._computing.setdefault(key, threading.Lock())
        try:
            with computing:
                found = self._lookup(key, count=False)  # another request computed it meanwhile
                if found is not None:
                    return pickle.loads(found)
                value = compute()
                self._store(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
                return value
        finally:
            with self._lock:
                self._computing.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _lookup(self, key: Hashable, *, count: bool = True) -> bytes | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            elif count:
                self.misses += 1
            return found

    def _store(self, key: Hashable, blob: bytes) -> None:
        with self._lock:
            if len(blob) > self.max_bytes:
                return  # larger than the whole cache: computed each time
            old = self._entries.pop(key, None)
            self._bytes -= len(old) if old is not None else 0
            self._entries[key] = blob
            self._bytes += len(blob)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped)


report_cache = ReportCache()


def cached_for_data(
    store: Store,
    scope: Scope,
    what: Hashable,
    compute: Callable[[], T],
    *,
    cache: ReportCache | None = None,
) -> T:
    """``compute()``, from the cache while the data has not changed since it was computed for the
    same viewer scope and ``what`` (the computation's name and every option it takes: a moment
    in it must be the end of a day, or it never hits twice)."""
    cache = cache if cache is not None else report_cache
    # The version is read before computing: data committed in between can only make the entry
    # newer than its key says, never older.
    with store.session() as s:
        version, bumped_at = data_stamp(s)
    if bumped_at is None:
        return compute()
    key = (store.url, version, bumped_at, scope.rep_ids, what)
    result: T = cache.get(key, compute)
    return result


def cached_metrics_report(
    store: Store,
    scope: Scope,
    *,
    as_of: datetime,
    period: str | None = None,
    sections: tuple[str, ...] = SECTIONS,
    deals_per_flag: int | None = 100,
    cache: ReportCache | None = None,
) -> dict[str, Any]:
    """:func:`~rightturn.analytics.report.metrics_report`, from the cache when the data has not
    changed since it was computed for the same viewer scope, moment and options.

    ``as_of`` is used exactly as given: pass the end of a day (not "now", which would never
    hit twice)."""

    def compute() -> dict[str, Any]:
        return metrics_report(
            store,
            scope,
            as_of=as_of,
            period=period,
            sections=sections,
            deals_per_flag=deals_per_flag,
        )

    what = ("metrics_report", as_of, period, tuple(sorted(set(sections))), deals_per_flag)
    return cached_for_data(store, scope, what, compute, cache=cache)


def cached_data_span(store: Store, scope: Scope, *, cache: ReportCache | None = None) -> DataSpan:
    """:func:`~rightturn.analytics.span.data_span`, cached: it scans every visible deal and
    activity (120-350 ms at 1,000 reps), on every panel page that says what the data covers."""

    def compute() -> DataSpan:
        with store.session() as s:
            return data_span(s, scope)

    return cached_for_data(store, scope, "data_span", compute, cache=cache)


def cached_review_waiting(store: Store, scope: Scope, *, cache: ReportCache | None = None) -> int:
    """How many threads wait for review in the viewer's scope (the badge every panel page
    shows), cached: captures, review decisions and re-association, the only things that change
    it, bump the data version. A count over every waiting activity: 60-110 ms for an admin at
    1,000 reps on PostgreSQL."""
    return cached_for_data(
        store,
        scope,
        "review_waiting",
        lambda: review_queue(store, limit=0, scope=scope).total,
        cache=cache,
    )


def cached_review_accounts(
    store: Store, scope: Scope, *, cache: ReportCache | None = None
) -> list[tuple[str, str, int]]:
    """:func:`~rightturn.associate.review.review_accounts` (the review page's account filter),
    cached like the badge: it groups every waiting activity in scope."""
    return cached_for_data(
        store,
        scope,
        "review_accounts",
        lambda: review_accounts(store, scope=scope),
        cache=cache,
    )
