"""Real mail from ../shared/data: the Enron sample and Apache mailing-list archives."""

from __future__ import annotations

import csv
import email
import mailbox
import re
from pathlib import Path

import pytest

from rightturn.capture.excerpt import quoted_original
from rightturn.capture.items import Captured, Rejected
from rightturn.capture.mailfiles import MboxSource

# Builds or reads whole orgs: outside the fast loop (`pytest -m "not slow and not postgres"`).
pytestmark = pytest.mark.slow


DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
ENRON = DATA / "enron-sample" / "enron_sample_all.mbox"
LISTS = sorted((DATA / "mailing-lists").glob("*.mbox"))
_ID = re.compile(r"<[^<>]*>")


def read_all(path: Path) -> list[Captured | Rejected]:
    return [located.item for located in MboxSource(path).read(None)]


def first_id(value: object) -> str | None:
    found = _ID.search(str(value)) if value is not None else None
    return "".join(found.group(0).split()) if found else None


@pytest.mark.skipif(not ENRON.is_file(), reason=f"Enron sample not found at {ENRON}")
def test_every_enron_message_is_captured_or_rejected():
    with open(ENRON.parent / "index.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    expected = len(mailbox.mbox(ENRON))
    assert expected == len(rows) == 1171
    items = read_all(ENRON)
    captured = [i for i in items if isinstance(i, Captured)]
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert len(captured) + len(rejected) == expected
    assert {i.source_id for i in captured} <= {row["message_id"] for row in rows}
    assert all(i.occurred_at.tzinfo is not None for i in captured)


@pytest.mark.skipif(not ENRON.is_file(), reason=f"Enron sample not found at {ENRON}")
def test_enron_replies_yield_their_quoted_original():
    replies = [m for m in mailbox.mbox(ENRON) if "-----Original Message-----" in m.as_string()]
    assert len(replies) > 100
    found = 0
    for message in replies:
        part = next((p for p in message.walk() if p.get_content_type() == "text/plain"), message)
        body = part.get_payload(decode=True).decode("utf-8", "replace")
        original = quoted_original(body)
        if original is not None and original["from"] and original["sent"]:
            found += 1
    assert found / len(replies) > 0.9


@pytest.mark.skipif(not LISTS, reason=f"mailing-list archives not found in {DATA}")
def test_every_list_message_is_captured_with_the_stdlib_in_reply_to():
    total = with_reply = 0
    for path in LISTS:
        stdlib = list(mailbox.mbox(path))
        items = read_all(path)
        assert len(items) == len(stdlib), path
        for raw, item in zip(stdlib, items, strict=True):
            total += 1
            assert isinstance(item, Captured), (path, item)
            parsed = email.message_from_bytes(raw.as_bytes())
            expected = first_id(parsed["In-Reply-To"])
            assert item.in_reply_to == expected, (path, item.position)
            with_reply += expected is not None
            if parsed["Message-ID"]:
                assert item.source_id == first_id(parsed["Message-ID"])
    assert (total, with_reply) == (650, 476)
