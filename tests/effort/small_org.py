"""A hand-made org for the Return-on-Effort tests: teams T (reps R1 Ann Lee, R2 Bo Chen) and U
(rep R3 Cy Dunn), the org in America/New_York, and touches placed one by one, each to a buyer
of its own, answered or not: an email answered by the buyer's email in its thread, a call by the
buyer's call back, two days later."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from rightturn.crm.model import Account, Contact, Rep, Team
from rightturn.crm.store import Store
from rightturn.crm.zones import set_org_time_zone
from tests.process.test_today import activity

ZONE = "America/New_York"
DAY = date(2026, 6, 15)  # a Monday
UNTIL = datetime.combine(DAY, time.max, tzinfo=UTC)  # the as-of moment the tests read to
BODY = "Hello,\nhow do you plan the quarter?"
_ids = count(1)


def at(days_before: float, hour: int = 14) -> datetime:
    """``days_before`` DAY at ``hour`` UTC (14:00 UTC is 10:00 in New York)."""
    return datetime.combine(DAY, time(hour), tzinfo=UTC) - timedelta(days=days_before)


def local(day: date, hour: int) -> datetime:
    """``hour`` o'clock on ``day`` in the org's zone."""
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(ZONE))


def make_org(store: Store) -> Store:
    with store.session() as s:
        s.add_all([Team(team_id="T", name="Team T"), Team(team_id="U", name="Team U")])
        s.flush()
        s.add_all(
            [
                Rep(rep_id="R1", name="Ann Lee", team_id="T"),
                Rep(rep_id="R2", name="Bo Chen", team_id="T"),
                Rep(rep_id="R3", name="Cy Dunn", team_id="U"),
                Account(account_id="ACME", name="Acme"),
            ]
        )
        set_org_time_zone(s, ZONE)
    return store


def touch(
    store: Store, rep: str, when: datetime, *, answered: bool, channel: str = "email"
) -> None:
    """One touch by ``rep`` at ``when`` to a new buyer, answered two days later or not."""
    n = next(_ids)
    contact, thread = f"C{n}", f"thread-{n}"
    with store.session() as s:
        s.add(Contact(contact_id=contact, account_id="ACME", name=f"Buyer {n}"))
        s.flush()
        mail = {"thread_id": thread, "subject": "Quick question", "body_excerpt": BODY}
        extra = {"account_id": "ACME", **(mail if channel == "email" else {})}
        s.add(activity(rep, contact, when, "outbound", kind=channel, **extra))
        if answered:
            s.add(
                activity(rep, contact, when + timedelta(days=2), "inbound", kind=channel, **extra)
            )


def touches(
    store: Store, rep: str, when: datetime, n: int, answered: int, channel: str = "email"
) -> None:
    """``n`` touches at ``when`` (a minute apart), the first ``answered`` of them answered."""
    for i in range(n):
        touch(store, rep, when + timedelta(minutes=i), answered=i < answered, channel=channel)
