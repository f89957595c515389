"""Dispositions on the guided day's hand-made store: what a disposition needs (with messages
that say what to give), postpones coming due on their date, disqualified and archived prospects
left out of the day, and a disposition ending a prospecting sequence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from rightturn.analytics.snapshot import as_of_datetime
from rightturn.crm.model import Contact, Disposition
from rightturn.crm.scope import Scope
from rightturn.crm.settings import data_version
from rightturn.crm.store import Store
from rightturn.errors import NotFound, ParseError
from rightturn.process.day_items import URGENCY, score
from rightturn.process.dispositions import (
    decided_between,
    latest_dispositions,
    record_disposition,
)
from rightturn.process.sequences import prospect_sequences
from tests.process.test_today import DAY, activity, at, day_of, org  # noqa: F401  (fixture)

EVERYONE = Scope.everything()


def decide(store: Store, kind: str, **kw: object) -> object:
    """A disposition by R1, decided a week before the day unless ``at`` says otherwise."""
    kw.setdefault("at", at(7))
    return record_disposition(
        store, rep_id="R1", kind=kind, who="ann@example.com", scope=EVERYONE, **kw
    )


@pytest.mark.parametrize(
    ("kind", "kw", "message"),
    [
        ("snooze", {"contact_id": "C3"}, "use one of: qualify, disqualify, postpone"),
        ("qualify", {}, "give exactly one"),
        ("qualify", {"contact_id": "C3", "opportunity_id": "O1"}, "give exactly one"),
        ("disqualify", {"contact_id": "C3"}, "none was given; it needs one of: no budget"),
        ("disqualify", {"contact_id": "C3", "reason": "rude"}, "'rude' is not one of: no budget"),
        ("postpone", {"contact_id": "C3"}, "postpone needs the date to postpone until"),
        ("revisit", {"contact_id": "C3", "on_date": DAY - timedelta(days=7)}, "needs a date after"),
        ("archive", {"contact_id": "C3", "on_date": DAY}, "archive takes no date"),
    ],
)
def test_a_disposition_missing_what_it_needs_says_what_to_give(
    org: Store,  # noqa: F811
    kind: str,
    kw: dict[str, object],
    message: str,
) -> None:
    with pytest.raises(ParseError, match=message):
        decide(org, kind, **kw)
    with org.session() as s:
        assert s.scalar(select(Disposition.id)) is None


def test_an_unseen_contact_or_deal_is_not_found_and_nothing_is_recorded(
    org: Store,  # noqa: F811
) -> None:
    with pytest.raises(NotFound, match="no contact 'C9'"):
        decide(org, "qualify", contact_id="C9")
    with pytest.raises(NotFound, match="no opportunity 'O1'"):  # R2 sees only R2's deals
        record_disposition(
            org,
            rep_id="R2",
            kind="archive",
            opportunity_id="O1",
            who="bo@example.com",
            scope=Scope(frozenset({"R2"})),
        )
    with org.session() as s:
        assert s.scalar(select(Disposition.id)) is None


def test_a_disposition_is_recorded_with_names_and_bumps_the_data_version(
    org: Store,  # noqa: F811
) -> None:
    with org.session() as s:
        before = data_version(s)
    done = decide(org, "disqualify", contact_id="C3", reason="  No   Budget ")
    assert done.reason == "no budget"  # as the process spells it
    assert (done.rep, done.contact, done.account_id) == ("Ann Lee", "Eve Fresh", "MID")
    with org.session() as s:
        assert data_version(s) == before + 1
        later = decide(org, "qualify", contact_id="C3", at=at(2))
        latest = latest_dispositions(s, "R1", as_of_datetime(DAY))
        assert [(d.id, d.kind) for d in latest] == [(later.id, "qualify")]
        # As of before the second decision, the first one is in force.
        assert [d.kind for d in latest_dispositions(s, "R1", at(5))] == ["disqualify"]


def test_a_postpone_is_due_on_its_date_not_before_and_hides_the_prospect_until_then(
    org: Store,  # noqa: F811
) -> None:
    assert "C3" in {i.contact_id for i in day_of(org) if i.kind == "new_prospect"}
    decide(org, "postpone", contact_id="C3", on_date=DAY, reason="back from leave")

    before = day_of(org, on=DAY - timedelta(days=1))
    assert "C3" not in {i.contact_id for i in before}
    items = day_of(org)
    due = [i for i in items if i.kind == "disposition_due"]
    assert [(i.contact_id, i.account_id, i.due) for i in due] == [("C3", "MID", DAY)]
    assert due[0].reason.startswith(f"Postponed until {DAY.isoformat()}: decide on the prospect")
    assert '"back from leave"' in due[0].reason and due[0].contact == "Eve Fresh"
    # Listed once: as the decision, not also as a new prospect.
    assert "C3" not in {i.contact_id for i in items if i.kind == "new_prospect"}

    decide(org, "qualify", contact_id="C3", at=at(0.5))  # decided: never due again
    after = day_of(org)
    assert not [i for i in after if i.kind == "disposition_due"]
    assert "C3" not in {i.contact_id for i in after if i.kind == "new_prospect"}  # qualified


def test_a_revisit_on_a_deal_is_due_and_weighs_between_a_touch_and_a_dark_deal(
    org: Store,  # noqa: F811
) -> None:
    decide(org, "revisit", opportunity_id="O2", on_date=DAY - timedelta(days=2))
    items = day_of(org)
    due = [i for i in items if i.kind == "disposition_due"]
    assert [(i.opportunity_id, i.contact_id, i.account_id) for i in due] == [("O2", None, "SMALL")]
    assert due[0].reason.startswith("Revisit due") and "2 days overdue" in due[0].reason
    assert URGENCY["touch_due"] > URGENCY["disposition_due"] > URGENCY["deal_dark"]
    # The same deal is dark (its value is the revisit's): same value, the kind's weight.
    dark = next(i for i in items if i.kind == "deal_dark" and i.opportunity_id == "O2")
    value = dark.score / score("deal_dark", (DAY - dark.due).days, 1.0)
    assert due[0].score == pytest.approx(score("disposition_due", 2, value))


def test_a_disqualified_or_archived_prospect_is_not_touched_nor_started(
    org: Store,  # noqa: F811
) -> None:
    with org.session() as s:
        s.add(Contact(contact_id="C5", account_id="MID", name="Gus Fresh"))
        s.add(activity("R1", "C3", at(5), "outbound", account_id="MID"))
    items = day_of(org)
    assert "C3" in {i.contact_id for i in items if i.kind == "touch_due"}
    assert "C5" in {i.contact_id for i in items if i.kind == "new_prospect"}

    decide(org, "disqualify", contact_id="C3", reason="no need", at=at(1))
    decide(org, "archive", contact_id="C5", at=at(1))
    left = {i.contact_id for i in day_of(org)}
    assert "C3" not in left and "C5" not in left


def test_a_disposition_ends_the_sequence_it_follows_but_not_a_later_one(
    org: Store,  # noqa: F811
) -> None:
    with org.session() as s:
        s.add(activity("R1", "C3", at(10), "outbound", account_id="MID"))
        s.add(activity("R1", "C3", at(8), "outbound", kind="call", account_id="MID"))
        s.add(activity("R1", "C3", at(2), "outbound", account_id="MID"))  # past the exit
        # C5's sequence starts after the disposition on C5: it runs on.
        s.add(Contact(contact_id="C5", account_id="MID", name="Gus Fresh"))
        s.flush()
        s.add(activity("R1", "C5", at(3), "outbound", account_id="MID"))
    decide(org, "postpone", contact_id="C3", on_date=DAY + timedelta(days=30), at=at(6))
    decide(org, "qualify", contact_id="C5", at=at(20))
    with org.session() as s:
        found = {
            q.contact_id: q
            for q in prospect_sequences(s, EVERYONE, as_of=as_of_datetime(DAY), rep_id="R1")
        }
    assert found["C3"].ended_by == "disposition" and found["C3"].ended_at == at(6)
    assert len(found["C3"].touches) == 2 and len(found["C3"].after_exit) == 1
    assert found["C5"].ended_by is None and len(found["C5"].touches) == 1


def test_decisions_of_a_day_are_listed_newest_first_in_words(org: Store) -> None:  # noqa: F811
    later = DAY + timedelta(days=9)
    decide(org, "postpone", contact_id="C3", on_date=later, at=at(0, 9))
    decide(org, "disqualify", opportunity_id="O1", reason="No Budget", at=at(0, 11))
    decide(org, "qualify", contact_id="C2", reason="asked for a demo", at=at(0, 12))
    decide(org, "archive", contact_id="C4", at=at(1))  # the day before: not listed
    with org.session() as s:
        found = decided_between(s, "R1", at(0, 0), as_of_datetime(DAY))
        assert decided_between(s, "R2", at(0, 0), as_of_datetime(DAY)) == []
    assert [d.summary for d in found] == [
        'Dan Prospect qualified (note: "asked for a demo")',
        "BIG deal disqualified (no budget)",
        f"Eve Fresh postponed until {later.isoformat()}",
    ]
