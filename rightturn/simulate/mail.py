"""Raw RFC 5322 messages and mboxrd files, written with string formatting.

Building `email.message.EmailMessage` objects for a million messages is several times slower
than formatting the text directly; the tests parse every message back with `email` and
`mailbox` to keep this honest.
"""

from __future__ import annotations

import html
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from email.utils import format_datetime
from pathlib import Path

# mboxrd: a body line that starts with "From " (after any number of ">") gains one more ">".
_FROM_LINE = re.compile(r"^(>*From )", re.MULTILINE)


@dataclass(slots=True)
class Sender:
    """Who a message is from: the formatted address, the envelope address and their zone."""

    addr: str
    email: str
    tz: tzinfo


@dataclass(slots=True)
class MailBuffer:
    """One team's messages, per mailbox, held until the team is done, then written sorted.

    Only mailboxes of the current team are ever held: internal mail and Cc's stay inside a
    team, so a team's mailboxes are complete when the team is.
    """

    boxes: dict[str, list[tuple[datetime, int, str, bytes]]] = field(default_factory=dict)
    seq: int = 0
    copies: int = 0
    distinct: int = 0

    def add(self, owners: list[str], when: datetime, envelope: str, raw: bytes) -> None:
        self.seq += 1
        self.distinct += 1
        seen: list[str] = []
        for owner in owners:
            if owner in seen:
                continue
            seen.append(owner)
            self.boxes.setdefault(owner, []).append((when, self.seq, envelope, raw))
            self.copies += 1

    def flush(self, mail_dir: Path, owners: list[str]) -> int:
        """Write one mbox per owner in chronological order; returns bytes written."""
        written = 0
        for owner in owners:
            items = sorted(self.boxes.pop(owner, []), key=lambda m: (m[0], m[1]))
            with open(mail_dir / f"{owner}.mbox", "wb") as f:
                for when, _, envelope, raw in items:
                    line = f"From {envelope} {when.ctime()}\n".encode()
                    f.write(line)
                    f.write(raw)
                    f.write(b"\n")
                    written += len(line) + len(raw) + 1
        self.boxes.clear()
        return written


def new_message_id(rng: random.Random, domain: str) -> str:
    """A Message-ID as a mail server would mint it (with the angle brackets)."""
    return f"<{rng.getrandbits(64):016x}.{rng.getrandbits(24):06x}@{domain}>"


def _html(body: str) -> str:
    out = []
    in_quote = False
    for para in body.split("\n\n"):
        quoted = para.startswith(">") or (para.startswith("On ") and "\n>" in para)
        if quoted and not in_quote:
            out.append("<blockquote>")
            in_quote = True
        out.append("<p>" + html.escape(para).replace("\n", "<br>\n") + "</p>")
    if in_quote:
        out.append("</blockquote>")
    return (
        '<html><head><meta charset="utf-8"></head><body>\n' + "\n".join(out) + "\n</body></html>\n"
    )


def render(
    *,
    msg_id: str,
    when: datetime,
    sender: Sender,
    to: list[str],
    cc: list[str],
    subject: str,
    body: str,
    in_reply_to: str = "",
    references: list[str] | None = None,
    extra: list[tuple[str, str]] | None = None,
    alternative: bool = False,
    boundary: str = "",
) -> bytes:
    """The message as bytes, mboxrd-escaped and ready to follow a "From " separator line.

    `when` is UTC; the Date header shows it in the sender's zone, as the sender's client would.
    """
    local = when.astimezone(sender.tz)
    head = [
        f"Message-ID: {msg_id}",
        f"Date: {format_datetime(local)}",
        f"From: {sender.addr}",
        "To: " + ",\n ".join(to),
    ]
    if cc:
        head.append("Cc: " + ",\n ".join(cc))
    head.append(f"Subject: {subject}")
    if in_reply_to:
        head.append(f"In-Reply-To: {in_reply_to}")
        # Clients keep the root and the most recent ids, so References stays bounded.
        refs = references or [in_reply_to]
        if len(refs) > 8:
            refs = [refs[0], *refs[-7:]]
        head.append("References: " + "\n ".join(refs))
    if extra:
        head.extend(f"{k}: {v}" for k, v in extra)
    head.append("MIME-Version: 1.0")
    if not body.endswith("\n"):
        body += "\n"
    if alternative:
        head.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        text = (
            "\n".join(head)
            + f"\n\nThis is a multi-part message in MIME format.\n\n--{boundary}\n"
            + 'Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: 8bit\n\n'
            + body
            + f"\n--{boundary}\n"
            + 'Content-Type: text/html; charset="utf-8"\nContent-Transfer-Encoding: 8bit\n\n'
            + _html(body)
            + f"\n--{boundary}--\n"
        )
    else:
        head.append('Content-Type: text/plain; charset="utf-8"')
        head.append("Content-Transfer-Encoding: 8bit")
        text = "\n".join(head) + "\n\n" + body
    return _FROM_LINE.sub(r">\1", text).encode("utf-8")
