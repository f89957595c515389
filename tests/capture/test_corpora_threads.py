"""Thread reconstruction through the real pipeline, on real mail from ../shared/data.

List mail is bulk and would be filtered, so these tests strip the list headers first: what is
checked is how the pipeline threads mail, on threads people really wrote.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select

from rightturn.capture.excerpt import normalized_subject
from rightturn.capture.items import Captured, ItemsSource
from rightturn.capture.pipeline import capture
from rightturn.crm.model import Activity
from rightturn.crm.store import Store
from tests.capture.test_corpora_mail import ENRON, LISTS, read_all

# Builds or reads whole orgs: outside the fast loop (`pytest -m "not slow and not postgres"`).
pytestmark = pytest.mark.slow


LIST_HEADERS = ("list-unsubscribe", "list-id", "precedence")


def unlisted(paths: list[Path]) -> list[Captured]:
    items = [i for p in paths for i in read_all(p) if isinstance(i, Captured)]
    for item in items:
        for name in LIST_HEADERS:
            item.headers.pop(name, None)
    return sorted(items, key=lambda i: i.occurred_at)


def threads(store: Store) -> dict[str, str]:
    with store.session() as s:
        return dict(s.execute(select(Activity.source_id, Activity.thread_id)).tuples().all())


@pytest.mark.skipif(not LISTS, reason="mailing-list archives not found in ../shared/data")
def test_list_threads_agree_with_their_reply_headers(tmp_path: Path) -> None:
    items = unlisted(LISTS)
    store = Store.open(f"sqlite:///{tmp_path / 'lists.db'}")
    stats = capture(store, [ItemsSource("lists", items)])
    assert stats.stored + stats.merged == len(items)
    thread = threads(store)
    replies = [i for i in items if i.in_reply_to and i.in_reply_to in thread]
    assert len(replies) > 300
    for item in replies:
        assert thread[item.source_id] == thread[item.in_reply_to], item.source_id
    assert len(set(thread.values())) < len(thread) - 300  # replies joined threads


@pytest.mark.skipif(not ENRON.is_file(), reason=f"Enron sample not found at {ENRON}")
def test_enron_replies_without_reply_headers_join_their_thread_by_subject(tmp_path: Path) -> None:
    items = unlisted([ENRON])
    assert not any(i.in_reply_to or i.references for i in items)  # the corpus never had them
    store = Store.open(f"sqlite:///{tmp_path / 'enron.db'}")
    capture(store, [ItemsSource("enron", items)])
    thread = threads(store)
    earlier_by_subject: dict[str, list[Captured]] = defaultdict(list)
    joined = 0
    by_thread = defaultdict(set)
    for item in items:
        key = normalized_subject(item.subject or "")
        if item.source_id not in thread:
            continue
        by_thread[thread[item.source_id]].add(key)
        is_reply = key and key != (item.subject or "").strip().lower()
        recent = [
            e
            for e in earlier_by_subject[key]
            if e.source_id in thread and (item.occurred_at - e.occurred_at).days <= 60
        ]
        if is_reply and recent:
            # It joins the thread of an earlier message with its subject (the latest one).
            assert thread[item.source_id] in {thread[e.source_id] for e in recent}, item.subject
            joined += 1
        earlier_by_subject[key].append(item)
    assert joined > 20
    # A thread never mixes subjects.
    assert all(len(keys) == 1 for keys in by_thread.values())
