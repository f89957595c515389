"""Coaching notes on the small hand-made org (SQLite and PostgreSQL): recorded with a practice and a
target as people write them, refused in words that name the fix, seen only in scope, closed
once; their progress counted week by week from the touches; the ``rightturn coach note|notes|
close`` commands over the same functions."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from typer.testing import CliRunner

from rightturn.analytics.intervals import wilson
from rightturn.cli import app
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.effort.notes import (
    MAX_NOTE,
    WEEKS_BEFORE,
    close_note,
    notes_for,
    progress,
    progresses,
    record_note,
)
from rightturn.errors import Conflict, NotFound, ParseError
from tests.effort.small_org import local, make_org, touch

NOTED = local(date(2026, 6, 15), 9)  # a Monday, in the org's zone
UNTIL = datetime(2026, 7, 10, 23, 59, tzinfo=UTC)


@pytest.fixture
def org(store: Store) -> Store:
    """The small org (Ann Lee R1 and Bo Chen R2 in team T, Cy Dunn R3 in U, New York time);
    Ann's emails, morning or afternoon: before the note (week of 1 June) 1 morning of 4, one
    answered; after it (week of 15 June) 3 mornings of 3, two answered; on 7 July one morning,
    not yet answerable by the as-of day."""
    make_org(store)
    june1 = date(2026, 6, 1)
    touch(store, "R1", local(june1, 10), answered=True)
    for day in range(1, 4):
        touch(store, "R1", local(june1 + timedelta(days=day), 15), answered=False)
    for day in range(3):
        touch(store, "R1", NOTED + timedelta(days=day, hours=1), answered=day < 2)
    touch(store, "R1", local(date(2026, 7, 7), 10), answered=False)
    return store


def test_a_note_is_recorded_with_the_target_as_a_person_writes_it(org: Store) -> None:
    note = record_note(org, "R1", " Brief ", "60%", "  Cut the intro ", "mia@example.com",
                       Scope.everything(), at=NOTED)  # fmt: skip
    assert (note.rep, note.practice, note.target) == ("Ann Lee", "brief", pytest.approx(0.6))
    assert note.practice_name.startswith("Brief emails") and note.note == "Cut the intro"
    again = record_note(org, "R1", "issue", "0.25", None, "mia", Scope.everything())
    assert again.target == pytest.approx(0.25) and again.note is None
    assert record_note(org, "R1", "morning", "", None, "mia", Scope.everything()).target is None
    listed = notes_for(org, "R1", Scope.everything())
    assert [n.practice for n in listed] == ["morning", "issue", "brief"]  # the newest first


@pytest.mark.parametrize(
    ("practice", "target", "words"),
    [
        ("brevity", "60%", "use one of brief: Brief emails"),
        ("brief", "60", "for 60% write 60% or 0.6"),
        ("brief", "150%", "is above 100%"),
        ("brief", "-5%", "is below 0%"),
        ("brief", "lots", "is not a number: write a share of touches like 60% or 0.6"),
    ],
)
def test_a_bad_practice_or_target_is_refused_naming_the_fix(
    org: Store, practice: str, target: str, words: str
) -> None:
    with pytest.raises(ParseError, match=words):
        record_note(org, "R1", practice, target, None, "mia", Scope.everything())
    assert notes_for(org, None, Scope.everything()) == []


def test_a_note_too_long_or_without_its_author_is_refused(org: Store) -> None:
    with pytest.raises(ParseError, match=f"keep it to {MAX_NOTE:,}"):
        record_note(org, "R1", "brief", None, "x" * (MAX_NOTE + 1), "mia", Scope.everything())
    with pytest.raises(ParseError, match="say who records the note"):
        record_note(org, "R1", "brief", None, "fine", "  ", Scope.everything())


def test_notes_are_seen_and_set_only_in_scope(org: Store) -> None:
    team_t = Scope(frozenset({"R1", "R2"}))
    record_note(org, "R1", "brief", None, None, "mia", team_t)
    other = record_note(org, "R3", "issue", None, None, "admin", Scope.everything())
    with pytest.raises(NotFound):
        record_note(org, "R3", "brief", None, None, "mia", team_t)
    assert [n.rep_id for n in notes_for(org, None, team_t)] == ["R1"]
    with pytest.raises(NotFound):
        notes_for(org, "R3", team_t)
    with pytest.raises(NotFound):
        close_note(org, other.id, team_t)
    assert notes_for(org, "R3", Scope.everything())[0].is_open


def test_a_note_is_closed_once(org: Store) -> None:
    note = record_note(org, "R1", "brief", None, None, "mia", Scope.everything())
    closed = close_note(org, note.id, Scope.everything())
    assert closed.closed_at is not None and not closed.is_open
    with pytest.raises(Conflict, match="record a new note"):
        close_note(org, note.id, Scope.everything())
    with pytest.raises(NotFound, match="no coaching note 9999"):
        close_note(org, 9999, Scope.everything())


def test_progress_counts_the_share_and_the_responses_week_by_week(org: Store) -> None:
    note = record_note(org, "R1", "morning", "60%", None, "mia", Scope.everything(), at=NOTED)
    found = progress(org, note, until=UNTIL)
    weeks = {w.week.isoformat(): w for w in found.weeks}
    assert found.weeks[0].week == (NOTED - timedelta(weeks=WEEKS_BEFORE)).date()
    assert found.weeks[-1].week.isoformat() == "2026-07-06"
    assert len(found.weeks) == WEEKS_BEFORE + 4  # 18 May .. 6 July, empty weeks listed
    before, after, last = weeks["2026-06-01"], weeks["2026-06-15"], weeks["2026-07-06"]
    assert (before.followed, before.applicable, before.touches, before.responses) == (1, 4, 4, 1)
    assert (after.followed, after.applicable, after.touches, after.responses) == (3, 3, 3, 2)
    assert (after.ci_low, after.ci_high) == pytest.approx(wilson(2, 3))
    assert after.rate_final and not last.rate_final
    # The 7 July touch counts in the share at once, not yet in the response rate.
    assert (last.followed, last.applicable, last.touches, last.rate) == (1, 1, 0, None)
    assert weeks["2026-06-08"].applicable == 0 and weeks["2026-06-08"].share is None
    assert (found.before.k, found.before.n) == (1, 4)
    assert (found.since.k, found.since.n) == (4, 4)
    assert (found.latest.k, found.latest.n) == (1, 1) and found.target_met is True
    assert (found.answered_before.k, found.answered_before.n) == (1, 4)
    assert (found.answered_since.k, found.answered_since.n) == (2, 3)
    other = record_note(org, "R1", "personal", "50%", None, "mia", Scope.everything(), at=NOTED)
    assert progress(org, other, until=UNTIL).target_met is False  # no email names the buyer


def test_the_commands_record_list_and_close_notes(org: Store) -> None:
    db = ["--db", org.url]
    run = CliRunner().invoke
    done = run(app, ["coach", "note", "--rep", "Ann Lee", "--practice", "brief", "--target",
                     "60%", "--note", "Cut the intro", "--by", "Mia", *db])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "for Ann Lee: Brief emails" in done.output and "target 60%" in done.output
    listed = run(app, ["coach", "notes", "--rep", "R1", "--json", *db])
    assert listed.exit_code == 0, listed.output
    (note,) = json.loads(listed.output)
    assert (note["rep"], note["practice"], note["by"], note["closed_at"]) == (
        "Ann Lee", "brief", "Mia", None,
    )  # fmt: skip
    assert {"before", "since", "latest", "answered_before", "weeks", "target_met"} <= set(note)
    # Recorded now: followed from 4 weeks before this week to the week of today's end (UTC),
    # which in New York is still today.
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday())
    assert [w["week"] for w in note["weeks"]][-1] == monday.isoformat()
    assert len(note["weeks"]) == WEEKS_BEFORE + 1
    shown = run(app, ["coach", "notes", "--until", "2026-07-10", *db])
    assert shown.exit_code == 0 and "Ann Lee" in shown.output and "“Cut the intro”" in shown.output
    assert run(app, ["coach", "close", str(note["id"]), *db]).exit_code == 0
    again = run(app, ["coach", "close", str(note["id"]), *db])
    assert again.exit_code == 2 and "record a new note" in again.output
    misplaced = run(app, ["coach", "--rep", "R1", "notes", *db])
    assert misplaced.exit_code == 2
    said = " ".join(re.sub("[│╭╮╰╯─]", " ", misplaced.output).split())  # the error's box gone
    assert "give it after the subcommand: rightturn coach notes --rep R1" in said
    bad = run(app, ["coach", "note", "--rep", "R1", "--practice", "brief", "--target", "60", *db])
    assert bad.exit_code == 2 and "for 60% write 60% or 0.6" in " ".join(bad.output.split())


def test_notes_followed_together_read_as_each_alone(org: Store) -> None:
    first = record_note(org, "R1", "morning", None, None, "mia", Scope.everything(), at=NOTED)
    later = NOTED + timedelta(weeks=2)
    second = record_note(org, "R1", "personal", None, None, "mia", Scope.everything(), at=later)
    together = progresses(org, [second, first], until=UNTIL)
    assert [p.note.id for p in together] == [second.id, first.id]
    for p, note in zip(together, (second, first), strict=True):
        assert p.as_json() == progress(org, note, until=UNTIL).as_json()
    assert together[0].weeks[0].week == (later - timedelta(weeks=WEEKS_BEFORE)).date()
