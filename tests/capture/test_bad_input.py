"""Bad values in real sources: each is bounded or quarantined, and the run goes on (both DBs).

Each of these stopped a run before: one NUL byte or a 1,500-character Message-ID stopped a whole
mailbox for good on PostgreSQL; a 10^23-second call lost its whole file; a runaway RRULE grew
until killed; an RRULE that is not a rule was stored silently as one meeting.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from rightturn.capture import ics
from rightturn.capture.calls import CallLogSource
from rightturn.capture.ics import IcsSource
from rightturn.capture.pipeline import capture
from rightturn.cli import app
from rightturn.crm.model import Activity, QuarantineItem
from rightturn.crm.store import Store

runner = CliRunner()


def _mail(msgid: str, subject: str, body: str, extra: str = "", minute: int = 0) -> bytes:
    return (
        f"From alice@seller.io Tue Jun  2 10:00:00 2026\n"
        f"Message-ID: {msgid}\nDate: Tue, 02 Jun 2026 10:{minute:02d}:00 +0000\n"
        f"From: Alice <alice@seller.io>\nTo: Bob <bob@buyer.com>\nSubject: {subject}\n{extra}\n"
        f"{body}\n\n"
    ).encode()


def _count(store: Store, model: type) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_a_nul_byte_or_a_huge_message_id_never_stops_a_mailbox(db_url: str, tmp_path: Path) -> None:
    long_id = "<" + "x" * 1500 + "@example.com>"
    box = tmp_path / "a.mbox"
    box.write_bytes(
        _mail("<one@example.com>", "Pricing\x00 question", "Hello\x00 there.", minute=1)
        + _mail(long_id, "A very long id", "Fine.", minute=2)
        + _mail(
            "<three@example.com>", "Re: A very long id", "Thanks.", f"In-Reply-To: {long_id}\n", 3
        )
    )
    Store.open(db_url).engine.dispose()
    outputs = []
    for _ in range(2):  # the re-run must not fail the same way, nor store anything twice
        result = runner.invoke(
            app, ["capture", "mbox", str(box), "--db", db_url], env={"COLUMNS": "200"}
        )
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert "NUL bytes removed" in outputs[0]  # the summary counts what was cleaned
    store = Store.open(db_url)
    with store.session() as s:
        rows = {a.subject: a for a in s.scalars(select(Activity))}
    assert set(rows) == {"Pricing question", "A very long id", "Re: A very long id"}
    assert "\x00" not in (rows["Pricing question"].body_excerpt or "")
    assert len(rows["A very long id"].source_id) <= 1000
    # The reply still joins the thread of the message it answers.
    assert rows["Re: A very long id"].thread_id == rows["A very long id"].thread_id


def test_an_impossible_call_duration_quarantines_that_call_only(
    store: Store, tmp_path: Path
) -> None:
    lines = ["call_id,started_at,from_number,to_number,direction,duration_s,outcome"]
    for n in range(217):
        duration = {5: str(10**23), 6: "inf", 7: "-5"}.get(n, "60")
        lines.append(
            f"c{n},2026-06-0{1 + n % 9}T10:{n % 60:02d}:00Z,+14155550100,+1212555{n:04d},"
            f"outbound,{duration},connected"
        )
    path = tmp_path / "calls.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stats = capture(store, [CallLogSource(path)])
    assert stats.stored == 216 and stats.quarantined == 1
    with store.session() as s:
        reason = s.scalar(select(QuarantineItem.reason))
        durations = dict(s.execute(select(Activity.source_id, Activity.duration_s)).tuples().all())
    assert reason is not None and "duration_s" in reason
    assert durations["c6"] is None and durations["c7"] is None  # unreadable: kept without one
    assert stats.reasons and "duration_s" in next(iter(stats.reasons))


def _ics(rule: str) -> str:
    return (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\nBEGIN:VEVENT\nUID:series-1\n"
        "DTSTART:20260601T100000Z\nDTEND:20260601T100030Z\nSUMMARY:Runaway\n"
        "ORGANIZER:mailto:alice@seller.io\nATTENDEE:mailto:bob@buyer.com\n"
        f"RRULE:{rule}\nEND:VEVENT\nEND:VCALENDAR\n"
    )


@pytest.mark.parametrize("rule", ["FREQ=SECONDLY", "FREQ=MINUTELY;COUNT=100000000"])
def test_a_runaway_recurrence_is_capped_and_says_so(
    store: Store, tmp_path: Path, rule: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ics, "MAX_PER_SERIES", 300)  # the real cap is 10,000: same code path
    path = tmp_path / "cal.ics"
    path.write_text(_ics(rule), encoding="utf-8")
    stats = capture(store, [IcsSource(path, window=(date(2026, 6, 1), date(2026, 6, 30)))])
    assert stats.stored == 300
    assert stats.quarantined == 1
    with store.session() as s:
        reason = s.scalar(select(QuarantineItem.reason)) or ""
    assert "more than 300 occurrences" in reason and "first 300 are kept" in reason


def test_an_rrule_that_is_not_a_rule_is_quarantined_not_stored_as_one_meeting(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "cal.ics"
    path.write_text(_ics("this is not a rule"), encoding="utf-8")
    stats = capture(store, [IcsSource(path, window=(date(2026, 6, 1), date(2026, 6, 30)))])
    assert stats.stored == 0 and stats.quarantined == 1
    assert _count(store, Activity) == 0
    with store.session() as s:
        assert "RRULE" in (s.scalar(select(QuarantineItem.reason)) or "")


def test_a_date_in_year_9999_falls_back_to_the_received_header(
    store: Store, tmp_path: Path
) -> None:
    box = tmp_path / "a.mbox"
    received = "Received: from mx by mx; Tue, 02 Jun 2026 10:05:00 +0000\n"
    box.write_bytes(
        _mail("<y1@example.com>", "Old client", "Hi.", received).replace(
            b"Date: Tue, 02 Jun 2026 10:00:00 +0000", b"Date: Fri, 31 Dec 9999 23:59:59 -1400"
        )
    )
    from rightturn.capture.mailfiles import mail_sources

    stats = capture(store, mail_sources([box], "mbox"))
    assert stats.stored == 1
    with store.session() as s:
        when = s.scalar(select(Activity.occurred_at))
    assert when is not None and (when.year, when.month, when.day) == (2026, 6, 2)
