"""The review queue: keyset pages in both orders, filters, scope, threads, filing a contact's items.

The queue is built as association leaves it (activities ``needs_review`` with ranked suggestions,
written through the store) over a small imported CRM, so these tests pin the queue, not the
engine's evidence rules (tests/associate/test_engine.py covers those).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from rightturn.associate.review import (
    EXCERPT,
    ReviewPage,
    resolve,
    review_accounts,
    review_queue,
    review_thread,
)
from rightturn.crm.imports import import_crm
from rightturn.crm.model import Activity, ActivityParticipant, Suggestion
from rightturn.crm.queries import encode_cursor
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.errors import NotFound, ParseError
from tests.crm.test_import_canonical import FILES, write

START = datetime(2024, 2, 1, 9, tzinfo=UTC)
LONG_BODY = "We looked at the proposal again and have a few questions about the rollout. " * 20


@dataclass
class Queue:
    """What :func:`build_queue` wrote: thread heads (the queue's items) by who they are."""

    store: Store
    carol: list[int] = field(default_factory=list)  # Carol (C1) with Alice (R1): O1 or O4
    carol_other: list[int] = field(default_factory=list)  # Carol with Alice: only O4 suggested
    carol_bob: list[int] = field(default_factory=list)  # Carol with Bob (R2): O1 or O4
    dan: list[int] = field(default_factory=list)  # Dan (C2) with Bob: O5 or O6
    calls: list[int] = field(default_factory=list)  # Alice's calls to the switchboard, no contact
    erin: list[int] = field(default_factory=list)  # Erin (C3) with Zed (R3, team West): O7 or O8
    replies: dict[int, int] = field(default_factory=dict)  # head -> its reply

    @property
    def heads(self) -> list[int]:
        return [
            *self.carol,
            *self.carol_other,
            *self.carol_bob,
            *self.dan,
            *self.calls,
            *self.erin,
        ]


def build_queue(
    store: Store,
    folder: Path,
    *,
    carol: int = 30,
    dan: int = 25,
    calls: int = 10,
    erin: int = 15,
    replies: int = 5,
) -> Queue:
    """A CRM where every contact is on two open deals of one owner, and a waiting thread per
    message: Carol's, Dan's, Alice's calls, and Erin's in another team. Every third thread starts
    at the same second as the one before it (the cursor's tie-break is the activity id)."""
    files = dict(FILES)
    files["reps.csv"] = [*FILES["reps.csv"], "R3,Zed Rep,zed@seller.io,,West,,400000"]
    files["opportunities.csv"] = [
        *FILES["opportunities.csv"],
        "O4,A1,R1,Acme - Beacon,Beacon,50000,Proposal,open,2024-01-20,2024-05-30,,Pipeline,C1",
        "O5,A1,R2,Acme - Comet,Comet,30000,Proposal,open,2024-01-05,2024-06-30,,Pipeline,C2",
        "O6,A1,R2,Acme - Dynamo,Dynamo,35000,Proposal,open,2024-01-05,2024-06-30,,Pipeline,C2",
        "O7,A3,R3,Not Acme - Comet,Comet,20000,Proposal,open,2024-01-05,2024-06-30,,Pipeline,C3",
        "O8,A3,R3,Not Acme - Dynamo,Dynamo,25000,Proposal,open,2024-01-05,2024-06-30,,Pipeline,C3",
    ]
    import_crm(store, write(folder / "crm", files))
    queue = Queue(store)
    plan = [
        ("carol", carol, "R1", "C1", "A1", ["O1", "O4"], "email"),
        ("carol_other", 1, "R1", "C1", "A1", ["O4"], "email"),
        ("carol_bob", 1, "R2", "C1", "A1", ["O1", "O4"], "email"),
        ("dan", dan, "R2", "C2", "A1", ["O5", "O6"], "email"),
        ("calls", calls, "R1", None, "A1", ["O1", "O4"], "call"),
        ("erin", erin, "R3", "C3", "A3", ["O7", "O8"], "email"),
    ]
    reps = {"R1": "alice@seller.io", "R2": "bob@seller.io", "R3": "zed@seller.io"}
    contacts = {"C1": "carol@acme.com", "C2": "dan@acme.com", "C3": "erin@notacme.com"}
    n = 0
    with store.session() as s:
        for group, count, rep, contact, account, opps, kind in plan:
            for k in range(count):
                when = START + timedelta(minutes=37 * (n - n % 3))  # ties in threes
                n += 1
                thread = f"<t{n}@acme.com>" if kind == "email" else None
                head = Activity(
                    kind=kind,
                    direction="inbound",
                    occurred_at=when,
                    rep_id=rep,
                    subject=f"{'Call' if kind == 'call' else 'Question'} {n}",
                    body_excerpt=LONG_BODY if kind == "email" else f"Walked through pricing {n}",
                    duration_s=420 if kind == "call" else None,
                    outcome="connected" if kind == "call" else None,
                    thread_id=thread,
                    source="test",
                    source_id=thread or f"call-{n}",
                    contact_id=contact,
                    account_id=account,
                    status="needs_review",
                    confidence=0.5,
                    reason="two open deals and nothing in the message singles one out",
                )
                s.add(head)
                s.flush()
                getattr(queue, group).append(head.activity_id)
                s.add_all(
                    Suggestion(
                        activity_id=head.activity_id,
                        opportunity_id=o,
                        rank=rank,
                        score=0.6 - 0.1 * rank,
                        reason=f"a contact role on {o}",
                    )
                    for rank, o in enumerate(opps, start=1)
                )
                if contact:
                    s.add_all(
                        [
                            ActivityParticipant(
                                activity_id=head.activity_id,
                                role="from",
                                address=contacts[contact],
                                contact_id=contact,
                            ),
                            ActivityParticipant(
                                activity_id=head.activity_id,
                                role="to",
                                address=reps[rep],
                                rep_id=rep,
                            ),
                        ]
                    )
                if group == "carol" and k < replies:
                    reply = Activity(
                        kind="email",
                        direction="outbound",
                        occurred_at=when + timedelta(hours=2),
                        rep_id=rep,
                        subject=f"Re: Question {n}",
                        body_excerpt="Happy to walk you through it.",
                        thread_id=thread,
                        source="test",
                        source_id=f"<r{n}@seller.io>",
                        contact_id=contact,
                        account_id=account,
                        status="needs_review",
                        reason="a reply in a thread waiting for review",
                    )
                    s.add(reply)
                    s.flush()
                    queue.replies[head.activity_id] = reply.activity_id
                    s.add(
                        ActivityParticipant(
                            activity_id=reply.activity_id,
                            role="from",
                            address=reps[rep],
                            rep_id=rep,
                        )
                    )
    return queue


@pytest.fixture
def queue(store: Store, tmp_path: Path) -> Queue:
    return build_queue(store, tmp_path)


EAST = Scope(frozenset({"M1", "R1", "R2"}))  # the East team's manager
ALICE = Scope(frozenset({"R1"}))


def walk(store: Store, **kw) -> list[ReviewPage]:  # type: ignore[no-untyped-def]
    """Every page of the queue, following ``next_cursor``."""
    pages = [review_queue(store, limit=7, **kw)]
    while pages[-1].next_cursor:
        pages.append(review_queue(store, limit=7, cursor=pages[-1].next_cursor, **kw))
        assert len(pages) < 100
    return pages


def ids(pages: list[ReviewPage]) -> list[int]:
    return [i.activity_id for p in pages for i in p.items]


def key(store: Store, activity_id: int) -> tuple[datetime, int]:
    with store.session() as s:
        return s.get(Activity, activity_id).occurred_at, activity_id


@pytest.mark.parametrize("order", ["oldest", "newest"])
def test_paging_shows_every_waiting_thread_exactly_once_in_order(queue: Queue, order) -> None:  # type: ignore[no-untyped-def]
    pages = walk(queue.store, order=order)
    seen = ids(pages)
    assert len(seen) == len(set(seen)) == len(queue.heads)
    assert set(seen) == set(queue.heads)  # replies are in their thread, not items of their own
    keys = [key(queue.store, a) for a in seen]
    assert keys == sorted(keys, reverse=order == "newest")
    assert [p.start for p in pages] == list(range(0, len(seen), 7))
    assert {p.total for p in pages} == {len(queue.heads)}
    assert pages[0].previous_cursor is None and pages[-1].next_cursor is None


@pytest.mark.parametrize("order", ["oldest", "newest"])
def test_previous_cursor_walks_back_to_the_same_pages(queue: Queue, order) -> None:  # type: ignore[no-untyped-def]
    pages = walk(queue.store, order=order)
    back = pages[-1]
    for expected in reversed(pages[:-1]):
        assert back.previous_cursor
        back = review_queue(queue.store, limit=7, order=order, cursor=back.previous_cursor)
        assert [i.activity_id for i in back.items] == [i.activity_id for i in expected.items]
        assert back.start == expected.start
    assert back.previous_cursor is None


def test_a_page_stays_put_while_the_items_before_it_are_filed(queue: Queue) -> None:
    first = review_queue(queue.store, limit=7)
    second = review_queue(queue.store, limit=7, cursor=first.next_cursor)
    resolve(queue.store, second.items[0].activity_id, account_only=True)
    again = review_queue(queue.store, limit=7, cursor=first.next_cursor)
    assert [i.activity_id for i in again.items][:6] == [i.activity_id for i in second.items][1:]
    assert again.total == first.total - 1


def test_filters_keep_only_a_rep_an_account_or_a_kind(queue: Queue) -> None:
    bob = walk(queue.store, rep_id="R2")
    assert set(ids(bob)) == {*queue.dan, *queue.carol_bob}
    assert {i.rep_name for p in bob for i in p.items} == {"Bob Rep"}
    assert set(ids(walk(queue.store, account_id="A3"))) == set(queue.erin)
    calls = walk(queue.store, kind="call", order="newest")
    assert set(ids(calls)) == set(queue.calls) and calls[0].total == len(queue.calls)
    both = review_queue(queue.store, rep_id="R1", kind="call", limit=500)
    assert {i.activity_id for i in both.items} == set(queue.calls)


def test_a_viewer_never_sees_another_reps_items_or_deals(queue: Queue) -> None:
    alice = walk(queue.store, scope=ALICE)
    assert set(ids(alice)) == {*queue.carol, *queue.carol_other, *queue.calls}
    assert review_queue(queue.store, scope=ALICE, rep_id="R2").total == 0
    east = walk(queue.store, scope=EAST)
    assert not set(ids(east)) & set(queue.erin)
    assert review_queue(queue.store, scope=EAST, limit=0).total == len(queue.heads) - len(
        queue.erin
    )
    # A suggestion of a deal the viewer may not see is left out.
    with queue.store.session() as s:
        s.add(
            Suggestion(activity_id=queue.dan[0], opportunity_id="O7", rank=3, score=0.1, reason="x")
        )
    dan = next(
        i for p in walk(queue.store, scope=EAST, rep_id="R2") for i in p.items
        if i.activity_id == queue.dan[0]
    )  # fmt: skip
    assert [o for o, _, _ in dan.suggestions] == ["O5", "O6"]
    everything = review_queue(queue.store, rep_id="R2", limit=500).items
    assert "O7" in next(i.names for i in everything if i.activity_id == queue.dan[0])
    accounts = review_accounts(queue.store, scope=EAST)
    assert [(a, name) for a, name, _ in accounts] == [("A1", "Acme")]


def test_counting_only_fetches_no_items(queue: Queue) -> None:
    page = review_queue(queue.store, limit=0)
    assert page.items == [] and page.total == len(queue.heads)


def test_an_item_names_the_rep_contact_deals_and_carries_a_short_excerpt(queue: Queue) -> None:
    items = {i.activity_id: i for i in review_queue(queue.store, limit=500).items}
    carol = items[queue.carol[0]]
    assert (carol.rep_name, carol.contact_name, carol.contact_title, carol.account_name) == (
        "Alice Rep",
        "Carol Buyer",
        "VP Sales",
        "Acme",
    )
    assert carol.names == {"O1": "Acme - Atlas", "O4": "Acme - Beacon"}
    assert [o for o, _, _ in carol.suggestions] == ["O1", "O4"]  # best first
    assert carol.excerpt and len(carol.excerpt) <= EXCERPT and carol.excerpt.endswith("…")
    assert carol.thread_size == 2  # the head and Alice's reply
    # Carol's waiting items that suggest each deal (the other-rep one too: no scope here).
    assert carol.contact_waiting == {"O1": len(queue.carol) + 1, "O4": len(queue.carol) + 2}
    call = items[queue.calls[0]]
    assert call.contact_id is None and call.contact_waiting == {}
    assert call.excerpt == f"connected · 7 min · Walked through pricing {call.subject.split()[1]}"


def test_a_cursor_this_server_did_not_give_out_is_an_error_naming_it(queue: Queue) -> None:
    for bad in ("nope", encode_cursor(["sideways", "2024-01-01T00:00:00", 1])):
        with pytest.raises(ParseError, match="cursor"):
            review_queue(queue.store, cursor=bad)
    with pytest.raises(ParseError, match="order"):
        review_queue(queue.store, order="sideways")  # type: ignore[arg-type]


def test_the_thread_lists_its_visible_messages_oldest_first(queue: Queue) -> None:
    head = queue.carol[0]
    thread = review_thread(queue.store, head, scope=EAST)
    assert [m.activity_id for m in thread] == [head, queue.replies[head]]
    assert [m.sender for m in thread] == ["Carol Buyer", "Alice Rep"]
    assert thread[0].excerpt and len(thread[0].excerpt) <= EXCERPT
    with pytest.raises(NotFound):
        review_thread(queue.store, head, scope=Scope(frozenset({"R3"})))


def _waiting(store: Store, activity_ids: list[int]) -> set[int]:
    with store.session() as s:
        return set(
            s.scalars(
                select(Activity.activity_id).where(
                    Activity.activity_id.in_(activity_ids), Activity.status == "needs_review"
                )
            )
        )


def test_filing_for_the_contact_files_each_waiting_item_that_suggests_the_deal(
    queue: Queue,
) -> None:
    done = resolve(
        queue.store, queue.carol[3], opportunity_id="O1", same_contact=True, scope=EAST, who="m"
    )
    assert done.threads == len(queue.carol) + 1  # Alice's and the one with Bob
    assert set(queue.replies.values()) <= set(done.activity_ids)  # whole threads
    assert not _waiting(queue.store, [*queue.carol, *queue.carol_bob])
    # Carol's thread that does not suggest Atlas, and everyone else's, still wait.
    others = [*queue.carol_other, *queue.dan, *queue.calls, *queue.erin]
    assert _waiting(queue.store, others) == set(others)
    with queue.store.session() as s:
        filed = s.execute(
            select(Activity.opportunity_id, Activity.manual, func.count())
            .where(Activity.activity_id.in_(done.activity_ids))
            .group_by(Activity.opportunity_id, Activity.manual)
        ).all()
        assert filed == [("O1", True, len(done.activity_ids))]
        assert not s.scalar(
            select(func.count())
            .select_from(Suggestion)
            .where(Suggestion.activity_id.in_(done.activity_ids))
        )


def test_filing_for_the_contact_stays_in_the_viewers_scope(queue: Queue) -> None:
    done = resolve(queue.store, queue.carol[0], opportunity_id="O1", same_contact=True, scope=ALICE)
    assert done.threads == len(queue.carol)
    assert _waiting(queue.store, queue.carol_bob) == set(queue.carol_bob)  # Bob's stays


def test_filing_for_the_contact_needs_a_deal(queue: Queue) -> None:
    with pytest.raises(ValueError, match="opportunity"):
        resolve(queue.store, queue.carol[0], account_only=True, same_contact=True)
