"""Mailbox files as capture sources: mbox, Maildir and .eml, each resumable from a checkpoint.

Every message goes through :func:`rightturn.capture.email_parse.parse_message`. None of these
sources raises for bad content: a truncated message or a file that is not a mailbox becomes a
:class:`~rightturn.capture.items.Rejected`; only a path that does not exist at all is a
:class:`~rightturn.errors.SourceError` (from :func:`mail_sources`).

The mbox reader streams the file line by line instead of using :class:`mailbox.mbox`, which
builds a table of contents of the whole file before the first message. A message starts at a
``From `` line at the start of the file or after an empty line; ``>From `` lines are un-escaped
one level (mboxrd; for mboxo files this also un-escapes what the writer escaped, the best
either format allows). Its checkpoint is ``"{offset}:{guard}"`` where the guard hashes the
file's first 4 KiB: a file rewritten from scratch (a new export) then restarts from the top, and
the pipeline's Message-ID dedupe drops what was already captured.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from rightturn.capture.email_parse import parse_message
from rightturn.capture.items import Item, Located, Rejected, Source
from rightturn.errors import SourceError

__all__ = ["EmlSource", "MaildirSource", "MboxSource", "mail_sources"]

log = logging.getLogger(__name__)

_GUARD_BYTES = 4096
_BLOCK = 4 * 2**20
# A "From " line after an empty line starts the next message (the first one starts the file).
_SEPARATOR = re.compile(rb"\n\r?\nFrom ")
_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
_HEADER_LINE = re.compile(rb"[!-9;-~]{1,76}[ \t]*:")
_EML_SUFFIXES = {".eml", ".msg", ".txt", ""}


class MboxSource(Source):
    """One mbox file (mboxrd or mboxo), streamed in bounded memory."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).absolute()
        self.key = f"mbox:{self.path}"
        self.label = self.path.name

    def total(self) -> int | None:
        """The file size in bytes (``done`` counts bytes consumed)."""
        try:
            return self.path.stat().st_size
        except OSError:
            return None

    def read(self, checkpoint: str | None) -> Iterator[Located]:
        """Yield every message after ``checkpoint`` (an offset into this same file)."""
        try:
            f = open(self.path, "rb")  # noqa: SIM115 - held open across yields
        except OSError as exc:
            yield Located(self._file_rejected(f"cannot be opened: {exc.strerror}"), "0:", 0)
            return
        with f:
            guard = hashlib.sha1(f.read(_GUARD_BYTES)).hexdigest()[:16]
            start = _resume_offset(checkpoint, guard)
            f.seek(start)
            if start == 0:
                first = f.readline()
                f.seek(0)
                if first and not first.startswith(b"From "):
                    yield Located(self._file_rejected("is not an mbox file"), f"0:{guard}", 0)
                    return
            yield from self._messages(f, start, guard)

    def _messages(self, f: BinaryIO, offset: int, guard: str) -> Iterator[Located]:
        # Blocks and one regex, not a Python loop over lines (which cost ~40% of the read side);
        # memory holds one block plus the message in progress.
        buf = f.read(_BLOCK)
        base = offset  # the file offset of buf[0]
        pos = 0 if buf.startswith(b"From ") else None
        while True:
            found = _SEPARATOR.search(buf, 0 if pos is None else pos + 5)
            if found is None:
                more = f.read(_BLOCK)
                if more:
                    keep = 0 if pos is None else pos
                    if pos is None:  # no message yet: keep only what may start a separator
                        keep = max(len(buf) - 3, 0)
                    buf, base = buf[keep:] + more, base + keep
                    pos = None if pos is None else 0
                    continue
                if pos is not None:
                    yield self._located(buf[pos:], base + pos, base + len(buf), guard, final=True)
                return
            start = found.end() - 5  # the next "From " line
            if pos is not None:
                yield self._located(buf[pos:start], base + pos, base + start, guard, final=False)
            pos = start

    def _located(self, chunk: bytes, at: int, end: int, guard: str, *, final: bool) -> Located:
        raw = chunk.partition(b"\n")[2]  # drop the "From " separator line
        # The blank line before the next separator belongs to the mbox format, not the message.
        if raw.endswith(b"\r\n\r\n"):
            raw = raw[:-2]
        elif raw.endswith(b"\n\n"):
            raw = raw[:-1]
        if b">From " in raw:
            raw = _ESCAPED_FROM.sub(rb"\1", raw)
        position = f"{self.path}:{at}"
        item: Item
        if final and b"\n\n" not in raw and b"\r\n\r\n" not in raw:
            item = self._truncated(raw, position)
        else:
            item = parse_message(
                raw, source="mbox", position=position, origin=str(self.path), lazy_body=True
            )
        return Located(item, f"{end}:{guard}", end)

    def _truncated(self, raw: bytes, position: str) -> Rejected:
        excerpt = raw[:200].decode("utf-8", "replace") if _HEADER_LINE.match(raw) else None
        return Rejected(
            "email",
            str(self.path),
            position,
            "truncated: the file ends inside the message's headers",
            excerpt or None,
        )

    def _file_rejected(self, why: str) -> Rejected:
        return Rejected("email", str(self.path), f"{self.path}:0", f"{self.path} {why}")


def _resume_offset(checkpoint: str | None, guard: str) -> int:
    """The offset to resume at; 0 when the checkpoint is absent, malformed or for another file."""
    if not checkpoint:
        return 0
    offset, _, seen = checkpoint.partition(":")
    if seen != guard or not offset.isdigit():
        return 0
    return int(offset)


class _FileSetSource(Source):
    """Sources whose units are files read in a sorted order; checkpoint = last file's key."""

    channel = ""

    def _files(self) -> list[tuple[str, Path]]:
        """(sort key, path) pairs, sorted by key."""
        raise NotImplementedError

    def total(self) -> int | None:
        """The number of message files."""
        return len(self._files())

    def read(self, checkpoint: str | None) -> Iterator[Located]:
        """Yield every message whose key sorts after ``checkpoint``."""
        files = self._files()
        for done, (key, path) in enumerate(files, start=1):
            if checkpoint is not None and key <= checkpoint:
                continue
            position = str(path)
            try:
                raw = path.read_bytes()
            except OSError as exc:  # moved or deleted while we ran (a client expunged it)
                item: Item = Rejected(
                    "email", str(path), position, f"cannot be read: {exc.strerror}"
                )
            else:
                item = parse_message(
                    raw, source=self.channel, position=position, origin=position, lazy_body=True
                )
            yield Located(item, key, done)


class MaildirSource(_FileSetSource):
    """A Maildir: ``cur/`` and ``new/``, and Maildir++ subfolders ``.Name/cur|new``.

    Files are read sorted by ``folder/unique`` where ``unique`` is the file name before ``:``
    (the part a client keeps when it moves a message from new/ to cur/ or changes its flags),
    and the checkpoint is that key, so a rename between runs neither repeats nor skips mail.
    """

    channel = "maildir"

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder).absolute()
        self.key = f"maildir:{self.folder}"
        self.label = self.folder.name

    def _files(self) -> list[tuple[str, Path]]:
        folders = [("", self.folder)]
        with os.scandir(self.folder) as entries:
            folders += sorted(
                (e.name, Path(e.path))
                for e in entries
                if e.name.startswith(".") and e.name not in (".", "..") and e.is_dir()
            )
        found = []
        for name, folder in folders:
            for sub in ("cur", "new"):
                try:
                    with os.scandir(folder / sub) as entries:
                        for e in entries:
                            if e.is_file() and not e.name.startswith("."):
                                found.append((f"{name}/{e.name.split(':', 1)[0]}", Path(e.path)))
                except FileNotFoundError:
                    continue
        return sorted(found)


class EmlSource(_FileSetSource):
    """One .eml file, or a folder of them (recursive, sorted by relative path)."""

    channel = "eml"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).absolute()
        self.key = f"eml:{self.path}"
        self.label = self.path.name

    def _files(self) -> list[tuple[str, Path]]:
        if self.path.is_file():
            return [(self.path.name, self.path)]
        return sorted(
            (p.relative_to(self.path).as_posix(), p)
            for p in self.path.rglob("*")
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in _EML_SUFFIXES
        )


def mail_sources(paths: list[Path], kind: str) -> list[Source]:
    """One source per path: ``kind`` is ``mbox``, ``maildir`` or ``eml``.

    Raises :class:`~rightturn.errors.SourceError` for a path that does not exist, a Maildir
    without ``cur/`` or ``new/``, or an unknown kind.
    """
    sources: list[Source] = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise SourceError(f"{path} does not exist: check the path to the {kind} input")
        if kind == "mbox":
            if not path.is_file():
                raise SourceError(f"{path} is not a file: give the mbox file itself")
            sources.append(MboxSource(path))
        elif kind == "maildir":
            if not ((path / "cur").is_dir() or (path / "new").is_dir()):
                raise SourceError(f"{path} is not a Maildir: it has neither cur/ nor new/")
            sources.append(MaildirSource(path))
        elif kind == "eml":
            sources.append(EmlSource(path))
        else:
            raise SourceError(f"unknown mail source kind {kind!r}: use mbox, maildir or eml")
    return sources
