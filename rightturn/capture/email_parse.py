"""One raw RFC 5322 message -> a :class:`Captured` email or a :class:`Rejected` with its reason.

Every email channel (mbox, Maildir, .eml, IMAP) calls :func:`parse_message`, so what a message
means never depends on how it arrived.

The fast path is ``fast-mail-parser`` (Rust): it decodes RFC 2047 names and subjects, transfer
encodings and charsets, keeps every value of repeated headers (Received), and reports each lossy
repair as a warning instead of guessing silently. Why it was chosen, with the measurements, is in
``benchmarks/bench_parse.py``, which prints the current figures.

The careful fallback is the stdlib with ``compat32`` (the lenient, fast policy), used when the
fast path raises (e.g. a base64 part that does not decode), when it had to replace an unknown
charset with U+FFFD or could not read an address header (the fallback decodes per address, and
tries UTF-8 then cp1252 for a body whose charset is unknown or wrong), or when a multipart message
yielded no text at all (a broken boundary: the fallback keeps the raw text). Without
``fast-mail-parser`` installed every message takes the fallback, with the same results.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

from rightturn.capture.excerpt import clean_body, normalized_subject
from rightturn.capture.items import Captured, Party, Rejected, Role
from rightturn.crm.bounds import EARLIEST, LATEST

try:  # the fast path; the stdlib fallback gives the same results, slower
    import fast_mail_parser as _fmp
except ImportError:  # pragma: no cover - exercised by forcing the fallback in tests
    _fmp = None  # type: ignore[assignment]

__all__ = ["EXCERPT_CHARS", "FILTER_HEADERS", "header_end", "html_to_text", "parse_message"]

log = logging.getLogger(__name__)

EXCERPT_CHARS = 2000
# The headers the pipeline's filters read (bulk, list, auto-reply), and nothing else.
FILTER_HEADERS = (
    "list-unsubscribe",
    "list-id",
    "precedence",
    "auto-submitted",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "x-mailer",
    "return-path",
)
_ADDRESS_HEADERS: tuple[tuple[str, Role], ...] = (
    ("from", "from"),
    ("to", "to"),
    ("cc", "cc"),
    ("bcc", "bcc"),
    ("reply-to", "reply_to"),
)
_REJECT_EXCERPT = 200
# Bodies beyond this are not cleaned or hashed past it: a 50 MB text part must not stall capture.
_BODY_LIMIT = 256 * 1024
# Fast-path warnings the fallback repairs better than the fast path did.
_FALLBACK_WARNINGS = {"charset-fallback", "address-unparseable"}

_HEADER_LINE = re.compile(rb"[!-9;-~]{1,76}[ \t]*:")
_MSG_ID = re.compile(r"<[^<>]*>")
# Every byte but the control characters a header block must not hold; ``translate`` deletes
# them at C speed, so what is left is the controls (a regex scan cost several times more).
_NOT_CONTROL = bytes(b for b in range(256) if not (b <= 0x08 or 0x0E <= b <= 0x1F or b == 0x7F))
_RECEIVED_DATE = re.compile(r";\s*([^;]+?)\s*$")

_HTML_DROP = re.compile(
    r"<(script|style|head|title|blockquote)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL
)
_HTML_BREAK = re.compile(r"<(?:br|/p|/div|/tr|/li|/h[1-6]|p|div|li|tr|hr)\b[^>]*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^>]*>")
# Lines a broken multipart leaves in its raw text: boundaries and part headers.
_MIME_DEBRIS = re.compile(
    r"^(?:--\S+[ \t]*|Content-[\w-]+:[^\n]*|This is a multi-part message in MIME format\.)$",
    re.MULTILINE | re.IGNORECASE,
)


@dataclass(slots=True)
class _Fields:
    """What either parser read, before the rules that turn it into an item."""

    message_id: str | None = None
    date: datetime | None = None
    date_raw: str | None = None
    received: list[str] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    subject: str | None = None
    in_reply_to: str | None = None
    references: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    plain: str | None = None
    html: str | None = None


def parse_message(
    raw: bytes,
    *,
    source: str,
    position: str,
    origin: str | None = None,
    lazy_body: bool = False,
) -> Captured | Rejected:
    """Parse one raw message into a ``Captured(kind="email")``, or a ``Rejected`` saying why.

    ``source`` is the channel (``mbox``, ``maildir``, ``eml``, ``imap``) stored on the item;
    ``position`` says where the message was. ``origin`` (default: ``source``) is what a
    ``Rejected`` names as its source, e.g. the mbox file. Never raises for any input: a
    message without From and recipients, without any usable date, or that is not a message
    at all is rejected with a reason and a header-only excerpt; bad charsets, broken MIME and
    missing parts are recovered as well as possible and the message is kept.

    With ``lazy_body`` the body is cleaned only when :meth:`Captured.settle` asks (the pipeline
    does so for messages it keeps): a third of a mailbox is noise or copies, and cleaning is the
    costliest step of parsing. A message without a Message-ID is settled at once (its
    synthesized id needs the body hash).
    """
    where = origin or source
    try:
        return _parse(raw, source, position, where, lazy_body)
    except Exception as exc:  # never let one message stop a mailbox; say which and why
        log.warning("email %s %s: parser failed: %r", where, position, exc)
        return _reject(raw, where, position, f"the message could not be parsed ({exc!r:.200})")


def _parse(
    raw: bytes, source: str, position: str, where: str, lazy_body: bool = False
) -> Captured | Rejected:
    """The steps: the message cut from what surrounds it; refused when it is not a message;
    its fields read (the fast path, else the careful fallback); refused without a sender or
    recipient or any date; the body text, cleaned now or when settled; the item."""
    raw = raw.lstrip(b"\r\n")
    if raw.startswith(b"From "):  # an mbox separator line left on an .eml file
        raw = raw.partition(b"\n")[2]
    refused = _not_a_message(raw, where, position)
    if refused is not None:
        return refused

    fields = _fast(raw) if _fmp is not None else None
    if fields is None:
        fields = _careful(raw)

    if not any(p.role in ("from", "to", "cc", "bcc") for p in fields.parties):
        return _reject(raw, where, position, "no From and no recipient address")
    occurred = fields.date or _received_date(fields.received)
    if occurred is None:
        why = f"unparsable Date {fields.date_raw!r:.80}" if fields.date_raw else "no Date header"
        return _reject(raw, where, position, f"{why} and no dated Received header")

    text = _body_text(fields)
    if lazy_body and fields.message_id:
        excerpt, body_hash, pending = None, None, text
    else:
        excerpt, body_hash = settle_body(text)
        pending = None
    sender = next((p.address for p in fields.parties if p.role == "from"), "")
    message_id = fields.message_id or _synthesized_id(
        sender, occurred, fields.subject or "", body_hash or ""
    )
    return Captured(
        kind="email",
        source=source,
        source_id=message_id,
        position=position,
        occurred_at=occurred,
        parties=fields.parties,
        subject=fields.subject,
        body_excerpt=excerpt,
        body_hash=body_hash,
        pending_body=pending,
        in_reply_to=_first_id(fields.in_reply_to),
        references=_all_ids(fields.references),
        headers=fields.headers,
    )


def _not_a_message(raw: bytes, where: str, position: str) -> Rejected | None:
    """Why ``raw`` is not a message at all (empty, no header block, binary data where the
    headers should be), or None."""
    head = _header_block(raw)
    if not raw.strip():
        return Rejected("email", where, position, "empty message")
    if not _HEADER_LINE.match(raw):
        return Rejected("email", where, position, "not an email message: no header block")
    if len(head.translate(None, _NOT_CONTROL)) > 8:
        return _reject(raw, where, position, "undecodable header block (binary data)")
    return None


def _body_text(fields: _Fields) -> str:
    """The text/plain body, else the text of the HTML one, cut at ``_BODY_LIMIT``."""
    text = fields.plain
    if not (text and text.strip()) and fields.html:
        text = html_to_text(fields.html)
    return (text or "")[:_BODY_LIMIT]


def settle_body(text: str) -> tuple[str | None, str]:
    """The stored excerpt (quotes and signature stripped, at most EXCERPT_CHARS) and the hash
    of the whole cleaned body (whitespace-collapsed, lower-cased)."""
    cleaned = clean_body(text)
    body_hash = hashlib.sha256(" ".join(cleaned.split()).lower().encode()).hexdigest()
    return cleaned[:EXCERPT_CHARS] or None, body_hash


def settle(item: Captured) -> Captured:
    """Compute ``body_excerpt`` and ``body_hash`` if the source left the body raw."""
    if item.pending_body is not None:
        item.body_excerpt, item.body_hash = settle_body(item.pending_body)
        item.pending_body = None
    return item


# --- the fast path ---------------------------------------------------------------------------


def _fast(raw: bytes) -> _Fields | None:
    """Read a message with fast-mail-parser; None when the careful fallback should."""
    assert _fmp is not None
    try:
        mail = _fmp.parse_email(raw)
    except _fmp.ParseError:
        return None
    if any(w.kind in _FALLBACK_WARNINGS for w in mail.warnings):
        return None
    headers: dict[str, list[str]] = {}
    for name, values in mail.headers.items():
        headers.setdefault(name.lower(), []).extend(values)
    content_type = _first(headers, "content-type") or ""
    if content_type.lower().startswith("multipart/") and not (mail.text_plain or mail.text_html):
        return None  # a broken boundary: the fallback keeps the raw text
    date_raw = _first(headers, "date")
    return _Fields(
        message_id=_message_id(_first(headers, "message-id")),
        date=_fast_date(mail, date_raw),
        date_raw=date_raw,
        received=headers.get("received", []),
        parties=_fast_parties(mail),
        subject=mail.subject if "subject" in headers else None,
        in_reply_to=_first(headers, "in-reply-to"),
        references=_first(headers, "references"),
        headers=_filter_headers(headers),
        plain=mail.text_plain[0] if mail.text_plain else None,
        html=mail.text_html[0] if mail.text_html else None,
    )


def _fast_date(mail: _fmp.PyMail, date_raw: str | None) -> datetime | None:
    """The Date as fast-mail-parser read it, unless a placeholder (year 1 or 9999: a broken
    client's, see _parse_date) or unreadable; then as the stdlib reads it, which knows a few
    forms Rust does not."""
    try:
        date = mail.date_parsed
    except (ValueError, OverflowError):  # 31 Dec 9999 -1400 is past the last datetime
        date = None
    if date is not None and not EARLIEST <= date <= LATEST:
        date = None
    if date is None and date_raw:
        date = _parse_date(date_raw)
    return date


def _fast_parties(mail: _fmp.PyMail) -> list[Party]:
    """From, To, Cc, Bcc and Reply-To as fast-mail-parser read them, in that order."""
    parties: list[Party] = []
    if mail.from_ is not None:
        _add_party(parties, "from", mail.from_.display_name, mail.from_.address)
    for role, group in (
        ("to", mail.to),
        ("cc", mail.cc),
        ("bcc", mail.bcc),
        ("reply_to", mail.reply_to),
    ):
        for address in group:
            _add_party(parties, role, address.display_name, address.address)  # type: ignore[arg-type]
    return parties


# --- the careful fallback --------------------------------------------------------------------


def _careful(raw: bytes) -> _Fields:
    """Read a message with the stdlib's lenient compat32 parser, recovering what it can."""
    msg = BytesParser(policy=compat32).parsebytes(raw)
    headers: dict[str, list[str]] = {}
    for name, value in msg.items():
        headers.setdefault(name.lower(), []).append(_header_str(value))
    date_raw = _first(headers, "date")
    out = _Fields(
        message_id=_message_id(_first(headers, "message-id")),
        date=_parse_date(date_raw) if date_raw else None,
        date_raw=date_raw,
        received=headers.get("received", []),
        subject=_decoded(_first(headers, "subject")) if "subject" in headers else None,
        in_reply_to=_first(headers, "in-reply-to"),
        references=_first(headers, "references"),
        headers=_filter_headers(headers),
    )
    for name, role in _ADDRESS_HEADERS:
        values = headers.get(name)
        if not values:
            continue
        try:
            pairs = getaddresses(values)
        except Exception:  # a header bad enough to break the tokenizer: keep the message
            continue
        for display, address in pairs:
            _add_party(out.parties, role, _decoded(display), address)
    out.plain, out.html = _stdlib_bodies(msg)
    return out


def _stdlib_bodies(msg: Message) -> tuple[str | None, str | None]:
    """The first inline text/plain and text/html parts, decoded as well as possible."""
    plain = html_part = None
    for part in msg.walk():
        if part.is_multipart():
            continue
        if (part.get("content-disposition") or "").strip().lower().startswith("attachment"):
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain" and plain is None:
            plain = _part_text(part)
        elif ctype == "text/html" and html_part is None:
            html_part = _part_text(part)
    if plain is None and html_part is None and msg.get_content_maintype() == "multipart":
        # Broken or missing boundary: compat32 leaves the whole body as one string.
        payload = msg.get_payload()
        if isinstance(payload, str):
            plain = _MIME_DEBRIS.sub("", _surrogates_to_text(payload))
    return plain, html_part


def _part_text(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    charset = part.get_content_charset() or "us-ascii"
    try:
        return data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        pass
    try:  # the usual truth behind a wrong or unknown label
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _header_str(value: object) -> str:
    """A header as text: compat32 gives str (bytes smuggled as surrogates) or Header."""
    text = value if isinstance(value, str) else str(value)
    return _surrogates_to_text(text)


def _surrogates_to_text(text: str) -> str:
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        data = text.encode("utf-8", "surrogateescape")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("cp1252", errors="replace")


def _decoded(value: str | None) -> str | None:
    """RFC 2047 decoding, blanks unfolded; the raw text when it does not decode."""
    if value is None:
        return None
    if "=?" in value:
        with suppress(Exception):  # a bad encoded-word or charset: keep the raw text
            value = str(make_header(decode_header(value)))
    return " ".join(value.split())


# --- shared helpers --------------------------------------------------------------------------


def html_to_text(markup: str) -> str:
    """The visible text of an HTML body: quotes, scripts and styles dropped, entities unescaped."""
    text = _HTML_DROP.sub("", markup)
    text = _HTML_BREAK.sub("\n", text)
    return html.unescape(_HTML_TAG.sub("", text))


def header_end(raw: bytes) -> int | None:
    """Where the header block ends: the offset of its blank line's line break, else None.

    Two ``bytes.find`` calls instead of a ``\\r?\\n\\r?\\n`` regex search, which cost 4 µs a
    message.
    """
    found = [at for at in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if at >= 0]
    if not found:
        return None
    at = min(found)
    return at - 1 if at > 0 and raw[at - 1] == 0x0D else at


def _header_block(raw: bytes) -> bytes:
    end = header_end(raw)
    return raw if end is None else raw[:end]


def _reject(raw: bytes, where: str, position: str, reason: str) -> Rejected:
    """A rejection whose excerpt is the start of the header block, never the body."""
    head = _header_block(raw.lstrip(b"\r\n"))
    excerpt = None
    if _HEADER_LINE.match(head):
        excerpt = head[:_REJECT_EXCERPT].decode("utf-8", "replace") or None
    return Rejected("email", where, position, reason, excerpt)


def _first(headers: dict[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values else None


def _filter_headers(headers: dict[str, list[str]]) -> dict[str, str]:
    out = {}
    for name in FILTER_HEADERS:
        value = _first(headers, name)
        if value is not None:
            out[name] = " ".join(value.split())
    return out


def _message_id(value: str | None) -> str | None:
    """The Message-ID as written, angle brackets kept; folding whitespace removed."""
    if not value:
        return None
    match = _MSG_ID.search(value)
    found = match.group(0) if match else value
    found = "".join(found.split())
    return found if found not in ("", "<>") else None


def _first_id(value: str | None) -> str | None:
    ids = _all_ids(value)
    return ids[0] if ids else None


def _all_ids(value: str | None) -> list[str]:
    if not value:
        return []
    return ["".join(m.split()) for m in _MSG_ID.findall(value) if len(m) > 2]


def _add_party(parties: list[Party], role: Role, name: str | None, address: str | None) -> None:
    """Append one valid address (lower-cased); skip what is not an address at all."""
    address = (address or "").strip().strip("<>").lower()
    local, at, domain = address.rpartition("@")
    if not (at and local and domain) or len(address.split()) != 1:
        return
    name = " ".join((name or "").split()).strip("\"'") or None
    parties.append(Party(role=role, address=address, name=name))


def _parse_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:  # pragma: no cover - older Pythons returned None
        return None
    if when.tzinfo is None:  # "-0000": the zone is unknown; UTC is the honest guess
        when = when.replace(tzinfo=UTC)
    try:
        when = when.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    # Year 1 or 9999 is a broken client's placeholder: the Received headers know better.
    return when if EARLIEST <= when <= LATEST else None


def _received_date(received: list[str]) -> datetime | None:
    """The date of the first (most recent) Received header that has one."""
    for value in received:
        match = _RECEIVED_DATE.search(" ".join(value.split()))
        if match:
            when = _parse_date(match.group(1))
            if when is not None:
                return when
    return None


def _synthesized_id(sender: str, when: datetime, subject: str, body_hash: str) -> str:
    """A stable id for a message without Message-ID: the same message always gets the same one."""
    key = "|".join((sender, when.strftime("%Y%m%d%H%M%S"), normalized_subject(subject), body_hash))
    return f"<fp-{hashlib.sha1(key.encode()).hexdigest()}@rightturn.invalid>"
