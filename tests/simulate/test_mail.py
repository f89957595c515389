"""The mailboxes are real mbox files of real messages, with the noise real mailboxes carry."""

from __future__ import annotations

import re
from collections import Counter
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import pytest

from rightturn.simulate.text import word_count

# Builds or reads whole orgs: outside the fast loop (`pytest -m "not slow and not postgres"`).
pytestmark = pytest.mark.slow


def _plain(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def test_every_mailbox_parses_with_required_headers(org, messages):
    members = {r["rep_id"] for r in org.csv("crm/reps.csv")}
    assert set(messages) == members
    for owner, msgs in messages.items():
        assert msgs, owner
        for m in msgs:
            assert m["Message-ID"] and m["Date"] and m["From"], owner
            assert m["MIME-Version"] == "1.0"
            for part in m.walk():
                assert not part.defects, (owner, m["Message-ID"], part.defects)
            assert m.get_body(preferencelist=("plain",)) is not None


def test_mailboxes_are_chronological(messages):
    for owner, msgs in messages.items():
        times = [parsedate_to_datetime(m["Date"]) for m in msgs]
        assert times == sorted(times), owner


def test_dates_carry_several_timezone_offsets(messages):
    offsets = Counter(m["Date"].split()[-1] for msgs in messages.values() for m in msgs)
    assert {"-0400", "-0700"} & set(offsets)
    assert {"+0100", "+0200", "+0000"} & set(offsets)
    assert len(offsets) >= 4


def test_every_reply_points_at_a_message_in_the_org(messages):
    ids = {m["Message-ID"] for msgs in messages.values() for m in msgs}
    replies = [m for msgs in messages.values() for m in msgs if m["In-Reply-To"]]
    assert len(replies) > 1000
    for m in replies:
        assert m["In-Reply-To"] in ids
        assert m["References"].split()[-1] == m["In-Reply-To"]
        assert m["Subject"].startswith(("Re: ", "Automatic reply: ", "Out of Office"))


def test_replies_quote_the_previous_message_and_sign_off(messages):
    quoted = signed = 0
    for msgs in messages.values():
        for m in msgs:
            body = _plain(m)
            if m["In-Reply-To"] and re.search(r"^On .+ wrote:\n> ", body, re.M):
                quoted += 1
            if "\n-- \n" in body:
                signed += 1
    assert quoted > 500
    assert signed > 1000


def test_truth_email_ids_match_the_mailboxes_exactly(messages, activities):
    ids = Counter(m["Message-ID"] for msgs in messages.values() for m in msgs)
    truth = [a["source_id"] for a in activities if a["kind"] == "email"]
    assert len(truth) == len(set(truth)), "one truth row per distinct message"
    assert set(truth) == set(ids)


def test_cc_to_a_colleague_puts_one_message_in_two_mailboxes(org, messages, activities):
    owners: dict[str, set[str]] = {}
    for owner, msgs in messages.items():
        for m in msgs:
            owners.setdefault(m["Message-ID"], set()).add(owner)
    shared = {mid for mid, o in owners.items() if len(o) >= 2}
    buyer = {a["source_id"] for a in activities if a["category"] in ("deal", "prospecting")}
    assert shared & buyer, "a buyer message Cc'd to a colleague"
    internal = {a["source_id"] for a in activities if a["category"] == "internal"}
    assert shared & internal
    assert org.summary.mailbox_messages == sum(len(o) for o in owners.values())
    assert org.summary.emails == len(owners)


def test_noise_is_marked_the_way_real_senders_mark_it(messages, activities):
    by_id = {m["Message-ID"]: m for msgs in messages.values() for m in msgs}
    cats = Counter(a["category"] for a in activities if a["kind"] == "email")
    for cat in ("newsletter", "auto_reply", "personal", "internal"):
        assert cats[cat] > 50, cat
    for a in activities:
        m = by_id.get(a["source_id"])
        if a["category"] == "newsletter":
            assert m["List-Unsubscribe"] and m["List-Id"] and m["Precedence"] == "bulk"
        elif a["category"] == "auto_reply":
            assert m["Auto-Submitted"] == "auto-replied"
            assert m["Subject"].startswith(("Automatic reply:", "Out of Office"))
        elif a["category"] == "personal" and a["direction"] == "inbound":
            assert m["From"].addresses[0].domain in {
                "gmail.com",
                "yahoo.com",
                "outlook.com",
                "icloud.com",
            }
        elif m is not None:
            assert "Auto-Submitted" not in m and "List-Id" not in m


def test_non_ascii_names_are_rfc2047_encoded_and_decode_back(org):
    raw = b"".join(p.read_bytes() for p in sorted((org.root / "mail").glob("R000*.mbox")))
    assert re.search(rb"^(From|To): =\?utf-8\?[bq]\?", raw, re.M)
    headers = [ln for ln in raw.split(b"\n") if ln.startswith((b"From: ", b"To: "))]
    assert all(ln.isascii() for ln in headers)


def test_body_lines_starting_with_from_are_escaped(org, messages):
    raw = (org.root / "mail" / "R0001.mbox").read_bytes()
    assert b"\n>From the editor" in raw
    separators = len(re.findall(rb"^From ", raw, re.M))
    assert separators == len(messages["R0001"])


def test_some_mail_is_multipart_alternative_and_some_plain(messages):
    kinds = Counter(m.get_content_type() for msgs in messages.values() for m in msgs)
    total = sum(kinds.values())
    assert 0.2 < kinds["multipart/alternative"] / total < 0.8
    assert 0.2 < kinds["text/plain"] / total < 0.8


def test_brief_and_verbose_bodies_have_their_lengths(messages, activities):
    by_id = {m["Message-ID"]: m for msgs in messages.values() for m in msgs}
    lengths: dict[str, list[int]] = {"brief": [], "verbose": []}
    for a in activities:
        if a["style"]:
            body = _plain(by_id[a["source_id"]]).split("\nOn ", 1)[0]
            lengths[a["style"]].append(word_count(body))
    assert lengths["brief"] and lengths["verbose"]
    assert min(lengths["brief"]) >= 40 and max(lengths["brief"]) <= 110
    assert min(lengths["verbose"]) >= 220 and max(lengths["verbose"]) <= 450


def test_some_reps_also_send_from_an_alias(org, messages):
    aliases = {e: r["rep_id"] for r in org.csv("crm/reps.csv") for e in r["emails"].split(";")[1:]}
    assert aliases
    senders = {m["From"].addresses[0].addr_spec for msgs in messages.values() for m in msgs}
    assert senders & set(aliases)
