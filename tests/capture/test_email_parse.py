"""parse_message and the excerpt rules: what one raw message becomes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

import rightturn.capture.email_parse as email_parse
from rightturn.capture.email_parse import parse_message
from rightturn.capture.excerpt import (
    clean_body,
    normalized_subject,
    quoted_original,
    strip_quoted,
    strip_signature,
)
from rightturn.capture.items import Captured, Rejected

HEAD = (
    "Message-ID: <m1@example.com>\n"
    "Date: Tue, 02 Jun 2026 10:00:00 +0200\n"
    "From: Alice Rep <Alice@Seller.io>\n"
    "To: Bob Buyer <bob@buyer.com>, carol@buyer.com\n"
    "Subject: Pricing\n"
)


@pytest.fixture(params=["fast", "stdlib"], autouse=True)
def parser(request, monkeypatch):
    """Run every test through the fast path and through the stdlib fallback alone."""
    if request.param == "stdlib":
        monkeypatch.setattr(email_parse, "_fmp", None)
    elif email_parse._fmp is None:
        pytest.skip("fast-mail-parser is not installed")
    return request.param


def parse(raw: str | bytes) -> Captured | Rejected:
    data = raw.encode() if isinstance(raw, str) else raw
    return parse_message(data, source="mbox", position="test:0")


def captured(raw: str | bytes) -> Captured:
    item = parse(raw)
    assert isinstance(item, Captured), item
    return item


def test_plain_message_fills_every_field():
    item = captured(
        HEAD + "Cc: Dan <dan@buyer.com>\nReply-To: sales@seller.io\nList-Id: <x.y>\n"
        "Precedence: bulk\nX-Mailer: Thing 1.0\n\nHello Bob,\n\nHere   are  the prices.\n"
    )
    assert item.kind == "email" and item.source == "mbox" and item.position == "test:0"
    assert item.source_id == "<m1@example.com>"
    assert item.occurred_at == datetime(2026, 6, 2, 8, 0, tzinfo=UTC)
    assert [(p.role, p.address, p.name) for p in item.parties] == [
        ("from", "alice@seller.io", "Alice Rep"),
        ("to", "bob@buyer.com", "Bob Buyer"),
        ("to", "carol@buyer.com", None),
        ("cc", "dan@buyer.com", "Dan"),
        ("reply_to", "sales@seller.io", None),
    ]
    assert item.subject == "Pricing"
    assert item.headers == {"list-id": "<x.y>", "precedence": "bulk", "x-mailer": "Thing 1.0"}
    assert item.body_excerpt == "Hello Bob,\n\nHere are the prices."
    assert item.body_hash and len(item.body_hash) == 64


def test_threading_headers_are_lists_of_ids():
    item = captured(
        HEAD.replace("Message-ID: <m1@example.com>", "Message-ID:\n  <m3@x.com>  ")
        + "In-Reply-To: <m2@x.com> (Bob's message)\n"
        + "References: <m0@x.com>\n <m1@x.com>\n\t<m2@x.com>\n\nok\n"
    )
    assert item.source_id == "<m3@x.com>"
    assert item.in_reply_to == "<m2@x.com>"
    assert item.references == ["<m0@x.com>", "<m1@x.com>", "<m2@x.com>"]


def test_rfc2047_names_and_subject_are_decoded():
    raw = HEAD.replace(
        "From: Alice Rep <Alice@Seller.io>", "From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@x.de>"
    ).replace("Subject: Pricing", "Subject: =?iso-8859-1?q?Caf=E9?= =?utf-8?b?w6A=?= la carte")
    item = captured(raw + "\nhi\n")
    assert item.sender is not None and item.sender.name == "Jürgen Müller"
    assert item.subject == "Caféà la carte"


def test_unparsable_addresses_are_skipped_but_the_message_kept():
    item = captured(HEAD.replace("carol@buyer.com", "not an address, @@") + "\nhi\n")
    assert "bob@buyer.com" in {p.address for p in item.parties}
    assert all("@" in p.address and " " not in p.address for p in item.parties)


def test_multipart_alternative_prefers_text_plain():
    raw = (
        HEAD + 'MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="b1"\n\n'
        "--b1\nContent-Type: text/plain; charset=utf-8\n\nPlain words here.\n"
        "--b1\nContent-Type: text/html\n\n<p>HTML words</p>\n--b1--\n"
    )
    assert captured(raw).body_excerpt == "Plain words here."


def test_html_only_body_is_stripped_of_tags_and_quotes():
    raw = (
        HEAD + "Content-Type: text/html; charset=utf-8\n\n<html><head><style>p{}</style></head>"
        "<body><p>Fish &amp; chips<br>tomorrow?</p><blockquote>old text</blockquote>"
        "</body></html>\n"
    )
    assert captured(raw).body_excerpt == "Fish & chips\ntomorrow?"


def test_base64_and_quoted_printable_bodies_are_decoded():
    b64 = base64.encodebytes("Grüße aus Köln\n".encode()).decode()
    raw = HEAD + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
    assert captured(raw + b64).body_excerpt == "Grüße aus Köln"
    qp = HEAD + "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: "
    assert captured(qp + "quoted-printable\n\nCaf=E9 cr=E8me=\n soon\n").body_excerpt == (
        "Café crème soon"
    )


def test_bad_charset_is_recovered():
    raw = HEAD.encode() + b"Content-Type: text/plain; charset=x-nonsense\n\ncaf\xc3\xa9 ok\n"
    assert captured(raw).body_excerpt == "café ok"


def test_broken_base64_and_boundaries_keep_the_message():
    bad64 = HEAD + "Content-Transfer-Encoding: base64\n\n!!!not base64@@@\n"
    assert isinstance(parse(bad64), Captured)
    wrong_boundary = (
        HEAD + "Content-Type: multipart/mixed; boundary=XX\n\n--YY\nContent-Type: text/plain\n\n"
        "hello there\n"
    )
    assert "hello there" in (captured(wrong_boundary).body_excerpt or "")


def test_missing_message_id_gets_a_stable_synthesized_id():
    raw = HEAD.replace("Message-ID: <m1@example.com>\n", "") + "\nSame body\n"
    first, again = captured(raw), captured(raw)
    assert first.source_id == again.source_id
    assert first.source_id.startswith("<fp-") and first.source_id.endswith("@rightturn.invalid>")
    other = captured(raw.replace("Same body", "Other body"))
    assert other.source_id != first.source_id


def test_missing_date_falls_back_to_received_else_rejected():
    no_date = HEAD.replace("Date: Tue, 02 Jun 2026 10:00:00 +0200\n", "")
    received = "Received: from a by b; Wed, 03 Jun 2026 09:30:00 +0000\n"
    assert captured(received + no_date + "\nhi\n").occurred_at == datetime(
        2026, 6, 3, 9, 30, tzinfo=UTC
    )
    item = parse(no_date + "\nhi\n")
    assert isinstance(item, Rejected) and "Date" in item.reason
    bad = parse(HEAD.replace("Tue, 02 Jun 2026 10:00:00 +0200", "yesterday-ish") + "\nhi\n")
    assert isinstance(bad, Rejected) and "yesterday-ish" in bad.reason


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"", "empty"),
        (b"just some words\nno headers at all\n", "not an email"),
        (bytes(range(256)) * 8, "not an email"),
        (b"X-Thing: 1\nSubject: hi\nDate: Tue, 02 Jun 2026 10:00:00 +0200\n\nbody", "no From"),
        (b"From: a@b.c\nTo: d@e", "Date"),  # truncated: headers only
    ],
)
def test_garbage_is_rejected_with_a_reason_and_a_header_only_excerpt(raw, why):
    item = parse(raw)
    assert isinstance(item, Rejected)
    assert why in item.reason
    assert item.kind == "email" and item.position == "test:0"
    assert item.excerpt is None or "body" not in item.excerpt


def test_quoted_reply_and_signature_are_not_in_the_excerpt():
    body = (
        "Thursday works.\n\nBest regards,\nBob\n\n-- \nBob Buyer\nCFO\n\n"
        "On Tue, 2 Jun 2026 at 10:00, Alice Rep wrote:\n> Does Thursday work?\n> Alice\n"
    )
    item = captured(HEAD + "\n" + body)
    assert item.body_excerpt == "Thursday works."
    # The hash ignores what was quoted: the same reply to another thread hashes the same.
    other = captured(HEAD + "\n" + body.replace("Does Thursday", "Is Friday"))
    assert other.body_hash == item.body_hash


def test_excerpt_is_capped():
    item = captured(HEAD + "\n" + ("word " * 2000) + "\n")
    assert item.body_excerpt is not None and len(item.body_excerpt) == 2000


# --- excerpt rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "quote",
    [
        "On Tue, 2 Jun 2026 at 10:00, Alice Rep <a@x.io> wrote:\n> old\n",
        "On Tue, Jun 2, 2026 at 10:00 AM Alice Rep <alice@seller.io>\nwrote:\n\n> old\n",
        "Am 02.06.2026 um 10:00 schrieb Alice Rep:\n> alt\n",
        "Le mar. 2 juin 2026 à 10:00, Alice Rep <a@x.io> a écrit :\n> vieux\n",
        '"Rep, Alice" wrote:\n> old\n',
        "-----Original Message-----\nFrom: Alice Rep\nSent: Tuesday, June 2, 2026 10:00 AM\n"
        "To: Bob\nSubject: RE: Pricing\n\nold\n",
        "________________________________\nFrom: Alice Rep <a@x.io>\nSent: Tuesday, June 2\n"
        "To: Bob\nSubject: Pricing\n\nold\n",
        "Von: Alice Rep\nGesendet: Dienstag, 2. Juni 2026 10:00\nAn: Bob\nBetreff: Preise\n\nalt\n",
        "---------- Forwarded message ---------\nFrom: Alice <a@x.io>\nDate: Tue\n\nold\n",
        '"Alice Rep" <a@x.io> on 04/09/2001 07:52:30 AM\nTo: Bob\ncc:\nSubject: RE: gas\n\nold\n',
    ],
)
def test_each_quote_style_is_stripped(quote):
    assert strip_quoted("New text.\n\n" + quote).strip() == "New text."


def test_interleaved_quote_lines_are_dropped():
    assert strip_quoted("> question?\nanswer\n> next?\nyes\n") == "answer\nyes\n"


@pytest.mark.parametrize(
    "signature",
    [
        "-- \nBob Buyer\nCFO, Buyer Inc\n+1 555 0100\n",
        "Sent from my iPhone\n",
        "Thanks,\nBob\n",
        "Mit freundlichen Grüßen\nBob Buyer\nBuyer GmbH\n",
    ],
)
def test_signatures_are_stripped(signature):
    assert clean_body("Let us talk on Friday.\n\n" + signature) == "Let us talk on Friday."


def test_a_sign_off_followed_by_a_long_text_is_body():
    text = "Thanks,\n" + "\n".join(f"point {i} is a long line of real content" for i in range(9))
    assert strip_signature(text) == text


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("RE: Fwd: [maven-dev] AW:  Release   Plan ", "release plan"),
        ("Re: Re[2]: SV: WG: FW: hello", "hello"),
        ("Pricing", "pricing"),
        ("", ""),
    ],
)
def test_normalized_subject(subject, expected):
    assert normalized_subject(subject) == expected


def test_quoted_original_reads_outlook_blocks():
    body = (
        "ok\n\n -----Original Message-----\nFrom: =09Allen, Phillip K. =20\n"
        "Sent:=09Friday, November 16, 2001 8:38 AM\nTo:=09Whalley, Greg\nSubject:=09FW: gas\n\nx"
    )
    assert quoted_original(body) == {
        "from": "Allen, Phillip K.",
        "sent": "Friday, November 16, 2001 8:38 AM",
        "subject": "FW: gas",
    }
    assert quoted_original("no quote here\n") is None
    assert quoted_original("On Tue, Alice wrote:\n> hi\n") is None
