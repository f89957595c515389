"""Property-based tests: whatever a mail file, call log, calendar or CRM file holds, the run ends
without an unhandled error and every item is accounted for (stored, merged, filtered or
quarantined: nothing lost silently), on SQLite and PostgreSQL.

``RIGHTTURN_FUZZ_EXAMPLES`` sets the examples per property (``make test-full`` runs more).
"""

from __future__ import annotations

import itertools
import os
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rightturn.capture.calls import CallLogSource
from rightturn.capture.ics import IcsSource
from rightturn.capture.mailfiles import EmlSource
from rightturn.capture.pipeline import CaptureStats, capture
from rightturn.crm.imports import import_crm
from rightturn.crm.store import Store
from rightturn.errors import SourceError

EXAMPLES = int(os.environ.get("RIGHTTURN_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_n = itertools.count()

# Any text, NUL and control characters included (surrogates cannot be written to a file).
anything = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
line_safe = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"))
numbers = st.one_of(
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    line_safe,
)


def accounted(stats: CaptureStats) -> None:
    filtered = sum(stats.dropped.values())
    assert stats.read == stats.stored + stats.merged + filtered + stats.quarantined + stats.skipped


def folder(tmp_path: Path, name: str) -> Path:
    out = tmp_path / f"{name}-{next(_n)}"
    out.mkdir()
    return out


@FUZZ
@given(
    subject=line_safe,
    sender=line_safe,
    date=line_safe,
    msgid=line_safe,
    body=anything,
    raw=st.binary(max_size=200),
)
def test_any_email_is_stored_filtered_or_quarantined(
    store: Store, tmp_path: Path, subject, sender, date, msgid, body, raw
) -> None:
    box = folder(tmp_path, "eml")
    head = (
        f"Message-ID: {msgid}\nDate: {date}\nFrom: {sender} <alice@seller.io>\n"
        f"To: bob@buyer.com\nSubject: {subject}\n\n{body}\n"
    )
    (box / "a.eml").write_bytes(head.encode("utf-8", "surrogatepass") + raw)
    (box / "b.eml").write_bytes(raw)
    stats = capture(store, [EmlSource(box)])
    assert stats.read >= 1
    accounted(stats)
    again = capture(store, [EmlSource(box)])
    assert again.stored == 0


@FUZZ
@given(
    rows=st.lists(
        st.tuples(line_safe, line_safe, line_safe, line_safe, line_safe, numbers, line_safe),
        min_size=1,
        max_size=8,
    )
)
def test_any_call_log_row_is_stored_or_quarantined(store: Store, tmp_path: Path, rows) -> None:
    path = folder(tmp_path, "calls") / "calls.csv"
    lines = ["call_id,started_at,from_number,to_number,direction,duration_s,outcome"]
    good = "c{},2026-06-01T10:00:00Z,+14155550100,+12125550{:03d},outbound,{},connected"
    # Quotes are taken out of every cell, so each generated row stays one CSV row.
    cleaned = [[c.replace('"', "") for c in row] for row in rows]
    for n, cells in enumerate(cleaned):
        lines.append(",".join(f'"{c}"' for c in cells))
        lines.append(good.format(next(_n), n, cells[5].replace(",", "")))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stats = capture(store, [CallLogSource(path)])
    # every row but a blank one is read (the good rows between them always are)
    assert stats.read == len(rows) + sum(any(c.strip() for c in cells) for cells in cleaned)
    accounted(stats)


@FUZZ
@given(
    start=st.one_of(line_safe, st.datetimes().map(lambda d: d.strftime("%Y%m%dT%H%M%SZ"))),
    rule=st.one_of(
        line_safe,
        st.sampled_from(["FREQ=SECONDLY", "FREQ=DAILY;COUNT=99999999", "FREQ=WEEKLY;BYDAY=XX"]),
    ),
    summary=line_safe,
    attendee=line_safe,
)
def test_any_calendar_event_is_stored_or_quarantined(
    store: Store, tmp_path: Path, start, rule, summary, attendee
) -> None:
    path = folder(tmp_path, "ics") / "cal.ics"
    path.write_text(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\nBEGIN:VEVENT\n"
        f"UID:u{next(_n)}\nDTSTART:{start}\nSUMMARY:{summary}\n"
        f"ORGANIZER:mailto:alice@seller.io\nATTENDEE:mailto:{attendee}\nRRULE:{rule}\n"
        "END:VEVENT\nEND:VCALENDAR\n",
        encoding="utf-8",
    )
    accounted(capture(store, [IcsSource(path, window=(date(2026, 6, 1), date(2026, 6, 3)))]))


@FUZZ
@given(cells=st.lists(line_safe, min_size=6, max_size=6), amount=numbers, when=line_safe)
def test_any_crm_row_is_imported_or_rejected_with_its_line(
    store: Store, tmp_path: Path, cells, amount, when
) -> None:
    crm = folder(tmp_path, "crm")

    def row(values: list[str]) -> str:
        return ",".join('"' + v.replace('"', '""') + '"' for v in values)

    files = {
        "reps.csv": ["rep_id,name,emails,phones,team,manager_id,quota", "R1,Alice,a@s.io,,East,,"],
        "accounts.csv": [
            "account_id,name,domains,industry,segment,parent_account_id",
            row(cells),
            "A1,Acme,acme.com,,,",
        ],
        "contacts.csv": ["contact_id,account_id,name,emails,phones,title"],
        "opportunities.csv": [
            "opportunity_id,account_id,owner_rep_id,name,product,amount,stage,status,created_at,"
            "close_date,closed_at,forecast_category,contact_ids",
            row(
                [
                    f"O{next(_n)}",
                    "A1",
                    "R1",
                    cells[1],
                    cells[2],
                    amount,
                    "Proposal",
                    "open",
                    when,
                    when,
                    "",
                    "",
                    "",
                ]
            ),
        ],
    }
    for name, lines in files.items():
        (crm / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        report = import_crm(store, crm)
    except SourceError:
        return  # a file refused whole, with a message (e.g. a header made unreadable)
    for counts in report.files.values():
        assert counts.read == counts.created + counts.updated + counts.unchanged + counts.rejected
    assert all(p.line >= 2 and p.reason for p in report.problems)
