"""The guided day checked over a whole simulated org, for every rep and several days, against
plain definitions computed here from the captured activities (not from the guided day's code):

* every buyer message still unanswered on the day is listed as ``reply_due``, and nothing else
  is: an inbound email or call from a contact to the rep, in the reply window, with no later
  outbound activity of the rep to that contact (as its contact or a participant) or on that
  thread, up to the end of the day;
* no ``touch_due`` is listed whose touch was already captured: no outbound activity of the rep
  to the prospect (or filed on the deal) on or after the due day, up to the end of the day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from rightturn.analytics.snapshot import as_of_datetime
from rightturn.crm.model import Activity, ActivityParticipant, Rep
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.process.day_items import DayItem
from rightturn.process.today import REPLY_WINDOW_DAYS, guided_day
from tests.process.test_inspect import END, org, org_url  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow

DAYS = (END - timedelta(days=20), END - timedelta(days=7), END)


@pytest.fixture(scope="module")
def org_store(org_url: str) -> Iterator[Store]:  # noqa: F811
    """The inspection tests' simulated org (12 reps, 3 months), on SQLite and PostgreSQL."""
    with Store.open(org_url) as store:
        yield store


def _outbound(
    store: Store, rep: str, end: datetime
) -> list[tuple[datetime, set[str], str | None, str | None]]:
    """The rep's outbound activities up to ``end``: when, the contacts reached (its contact and
    participants), its thread, its deal."""
    with store.session() as s:
        rows = s.execute(
            select(
                Activity.activity_id,
                Activity.occurred_at,
                Activity.contact_id,
                Activity.thread_id,
                Activity.opportunity_id,
            ).where(
                Activity.rep_id == rep,
                Activity.direction == "outbound",
                Activity.occurred_at <= end,
            )
        ).all()
        reached: dict[int, set[str]] = defaultdict(set)
        for activity_id, contact in s.execute(
            select(ActivityParticipant.activity_id, ActivityParticipant.contact_id)
            .join(Activity, Activity.activity_id == ActivityParticipant.activity_id)
            .where(
                Activity.rep_id == rep,
                Activity.direction == "outbound",
                ActivityParticipant.contact_id.is_not(None),
            )
        ):
            reached[activity_id].add(contact)
    return [
        (
            r.occurred_at,
            reached[r.activity_id] | ({r.contact_id} - {None}),
            r.thread_id,
            r.opportunity_id,
        )
        for r in rows
    ]


def _unanswered(store: Store, rep: str, day: date) -> set[str]:
    """Contacts with a message to the rep unanswered at the end of ``day`` (the plain rule)."""
    end = as_of_datetime(day)
    with store.session() as s:
        inbound = s.execute(
            select(Activity.occurred_at, Activity.contact_id, Activity.thread_id).where(
                Activity.rep_id == rep,
                Activity.direction == "inbound",
                Activity.kind.in_(("email", "call")),
                Activity.contact_id.is_not(None),
                Activity.occurred_at > end - timedelta(days=REPLY_WINDOW_DAYS),
                Activity.occurred_at <= end,
            )
        ).all()
    sent = _outbound(store, rep, end)
    return {
        contact
        for at, contact, thread in inbound
        if not any(
            when > at and (contact in reached or (thread and thread == their_thread))
            for when, reached, their_thread, _ in sent
        )
    }


def _touched_since(
    sent: list[tuple[datetime, set[str], str | None, str | None]], item: DayItem
) -> list[datetime]:
    """The rep's outbound activities to the item's prospect (or on its deal) from its due day."""
    start = datetime.combine(item.due, time.min, tzinfo=UTC)
    return [
        when
        for when, reached, _, deal in sent
        if when >= start
        and (deal == item.opportunity_id if item.opportunity_id else item.contact_id in reached)
    ]


def _reps(store: Store) -> list[str]:
    with store.session() as s:
        return list(s.scalars(select(Rep.rep_id).where(Rep.team_id.is_not(None))))


def test_every_unanswered_buyer_is_a_reply_due_and_nothing_else_is(org_store: Store) -> None:
    checked = 0
    for rep in _reps(org_store):
        for day in DAYS:
            items = guided_day(org_store, rep, day=day, scope=Scope.everything())
            listed = {i.contact_id for i in items if i.kind == "reply_due"}
            expected = _unanswered(org_store, rep, day)
            assert listed == expected, (rep, day, expected - listed, listed - expected)
            checked += len(expected)
    assert checked > 0, "the simulated org should leave some buyer waiting on some day"


def test_no_touch_due_was_already_captured(org_store: Store) -> None:
    due = 0
    for rep in _reps(org_store):
        for day in DAYS:
            items = guided_day(org_store, rep, day=day, scope=Scope.everything())
            sent = _outbound(org_store, rep, as_of_datetime(day))
            touches = [i for i in items if i.kind == "touch_due"]
            for item in touches:
                assert _touched_since(sent, item) == [], (rep, day, item)
            due += len(touches)
    assert due > 0, "the simulated org should have touches due on some day"
