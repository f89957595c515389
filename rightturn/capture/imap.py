"""Capture from an IMAP mailbox: one :class:`ImapSource` per folder, read incrementally.

A folder's position is its UIDVALIDITY and the last UID read, as the checkpoint
``"{uidvalidity}:{last_uid}"``. While the server keeps the same UIDVALIDITY only UIDs above the
last one are fetched; when it changes (the folder was recreated, restored or migrated, so old UIDs
mean nothing any more) the folder is read again from the start, and the pipeline's Message-ID
dedupe drops what was already captured.

The folder is opened read-only and bodies are fetched with ``BODY.PEEK[]``, so capture never
marks a rep's mail as read. Every message goes through
:func:`rightturn.capture.email_parse.parse_message`, the one parser all email channels share;
a message the server cannot return becomes a :class:`~rightturn.capture.items.Rejected`, never
an exception.
"""

from __future__ import annotations

import logging
import re
import ssl as ssl_lib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from rightturn.capture.email_parse import header_end, parse_message
from rightturn.capture.items import Item, Located, Rejected, Source
from rightturn.errors import ConfigError, SourceError

__all__ = ["ImapSource", "imap_sources"]

log = logging.getLogger(__name__)

CHANNEL = "imap"  # Captured.source for every message read here
DEFAULT_BATCH = 500
DEFAULT_TIMEOUT_S = 60.0
# More unfetchable messages in a row than this means the server, not the messages, is broken.
_MAX_FAILURES_IN_A_ROW = 20

# A Date header anywhere in the header block (headers are case-insensitive, RFC 5322 §1.2.2).
_DATE_HEADER = re.compile(rb"^date[ \t]*:", re.IGNORECASE | re.MULTILINE)
_LOOKS_LIKE_A_HEADER = re.compile(rb"[!-9;-~]{1,76}[ \t]*:")  # an RFC 5322 field name, then ':'
# PEEK: reading must not set \Seen on the rep's mail.
_FETCH_ITEMS = ["BODY.PEEK[]", "INTERNALDATE"]


class ImapSource(Source):
    """One IMAP folder as a capture :class:`~rightturn.capture.items.Source`.

    ``ssl=True`` (the default) connects with IMAPS and verifies the server's certificate;
    ``insecure=True`` skips that verification, and only with ``insecure=True`` may ``ssl=False``
    (plain text, for a local test server) be used. ``batch`` is how many messages one FETCH asks
    for, which bounds memory. The constructor does no I/O; :meth:`read` connects.

    Raises :class:`~rightturn.errors.ConfigError` for a plaintext connection without ``insecure``
    or an empty host, user or folder, a port outside 1-65535, or a batch below 1.
    """

    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        password: str,
        folder: str,
        *,
        ssl: bool = True,
        insecure: bool = False,
        batch: int = DEFAULT_BATCH,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        _check_settings(host, port, user, folder, ssl=ssl, insecure=insecure, batch=batch)
        self.host = host
        self.port = port
        self.user = user
        self.folder = folder
        self.ssl = ssl
        self.insecure = insecure
        self.batch = batch
        self.timeout = timeout
        self.key = f"imap:{user}@{host}:{port}/{folder}"
        self.label = f"IMAP {user}@{host} {folder}"
        self._password = password  # private and out of __repr__: it must never reach a log
        self._total: int | None = None

    def __repr__(self) -> str:
        return f"ImapSource({self.key!r}, ssl={self.ssl}, insecure={self.insecure})"

    def total(self) -> int | None:
        """How many messages the current :meth:`read` fetches; None until it has searched."""
        return self._total

    def read(self, checkpoint: str | None) -> Iterator[Located]:
        """Yield every message after ``checkpoint`` (None: the whole folder), oldest UID first.

        Each item's checkpoint is ``"{uidvalidity}:{uid}"`` and its ``done`` counts the messages
        behind it in this read. Raises :class:`~rightturn.errors.SourceError` when the server
        cannot be reached, refuses the login or the folder, or keeps dropping the connection;
        what was yielded before stays valid, so the next read resumes from the last checkpoint.
        """
        previous = self._parse_checkpoint(checkpoint)
        self._total = None
        link = _Link(self._connect())
        try:
            link.uidvalidity, uids = self._plan(link.client, previous)
            self._total = len(uids)
            yield from self._fetch_all(link, uids)
        finally:
            _close(link.client)

    # -- connecting ---------------------------------------------------------------------------

    def _connect(self) -> IMAPClient:
        where = f"IMAP server {self.host}:{self.port} (user {self.user})"
        context = None
        if self.ssl:
            context = ssl_lib.create_default_context()
            if self.insecure:
                log.warning("%s: TLS certificate not verified (--insecure)", self.key)
                context.check_hostname = False
                context.verify_mode = ssl_lib.CERT_NONE
        try:
            client = IMAPClient(
                self.host, port=self.port, ssl=self.ssl, ssl_context=context, timeout=self.timeout
            )
        except ssl_lib.SSLCertVerificationError as exc:
            raise SourceError(
                f"{where}: its TLS certificate is not trusted ({self._safe(exc)}); install the "
                "issuing CA in the system trust store, or use --insecure for a local test server"
            ) from None
        except ssl_lib.SSLError as exc:
            raise SourceError(
                f"{where}: the TLS handshake failed ({self._safe(exc)}); check that the port is "
                "the server's IMAPS port (usually 993, not 143)"
            ) from None
        except (OSError, IMAPClientError) as exc:
            raise SourceError(
                f"cannot connect to {where}: {self._safe(exc)}; check the host name and port "
                "and that the server is reachable from here"
            ) from None
        # Keep INTERNALDATE timezone-aware instead of converting it to naive local time.
        client.normalise_times = False
        try:
            client.login(self.user, self._password)
        except LoginError as exc:
            _close(client)
            raise SourceError(
                f"{where} refused the login: {self._safe(exc)}; check the user name and password "
                "(accounts with two-factor sign-in need an app password)"
            ) from None
        except (OSError, IMAPClientError) as exc:
            _close(client)
            raise SourceError(
                f"{where}: the connection failed during login: {self._safe(exc)}; try again, and "
                "check the server's logs if it persists"
            ) from None
        return client

    def _where(self) -> str:
        return f"IMAP server {self.host}:{self.port} (user {self.user}), folder {self.folder!r}"

    def _lost(self, exc: BaseException, doing: str) -> SourceError:
        return SourceError(
            f"{self._where()}: the connection was lost while {doing}: {self._safe(exc)}; run "
            "the capture again, it resumes after the last message stored"
        )

    def _refused(self, exc: BaseException, doing: str) -> SourceError:
        return SourceError(
            f"{self._where()}: the server refused {doing}: {self._safe(exc)}; check the folder "
            "and the server's logs"
        )

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turn a failed IMAP command or a dropped connection into a SourceError that says why."""
        try:
            yield
        except (IMAPClientAbortError, OSError) as exc:  # abort first: it subclasses the error
            raise self._lost(exc, doing) from None
        except IMAPClientError as exc:
            raise self._refused(exc, doing) from None

    def _safe(self, exc: BaseException) -> str:
        """An exception's text with the password blanked, should a server ever echo it."""
        text = str(exc) or type(exc).__name__
        return text.replace(self._password, "***") if self._password else text

    # -- choosing what to fetch ---------------------------------------------------------------

    def _parse_checkpoint(self, checkpoint: str | None) -> tuple[int, int] | None:
        if checkpoint is None:
            return None
        parts = checkpoint.split(":")
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            return int(parts[0]), int(parts[1])
        # Reading the folder again is always safe (the pipeline dedupes by Message-ID), so a
        # checkpoint this source did not write costs time, not correctness.
        log.warning(
            "%s: checkpoint %r is not 'uidvalidity:uid'; reading folder %r from the start",
            self.key,
            checkpoint,
            self.folder,
        )
        return None

    def _plan(self, client: IMAPClient, previous: tuple[int, int] | None) -> tuple[int, list[int]]:
        """SELECT the folder read-only and return its UIDVALIDITY and the UIDs to fetch."""
        info = self._select(client)
        if b"UIDVALIDITY" not in info:
            raise SourceError(
                f"IMAP server {self.host}:{self.port}: folder {self.folder!r} has no UIDVALIDITY, "
                "so it cannot be read incrementally; use a server that follows RFC 3501"
            )
        uidvalidity = int(info[b"UIDVALIDITY"])
        exists = int(info.get(b"EXISTS", 0))
        if previous is not None and previous[0] == uidvalidity:
            last_uid = previous[1]
            uidnext = info.get(b"UIDNEXT")
            if exists == 0 or (uidnext is not None and int(uidnext) <= last_uid + 1):
                return uidvalidity, []
            with self._errors("searching for new messages"):
                found = client.search(["UID", f"{last_uid + 1}:*"])
            # `n:*` always matches the highest UID, even when it is below n (RFC 3501 §6.4.8).
            return uidvalidity, sorted(uid for uid in found if uid > last_uid)
        if previous is not None:
            log.warning(
                "%s: UIDVALIDITY of folder %r changed from %d to %d (the folder was recreated "
                "or restored); reading it again from the start, repeats are dropped by Message-ID",
                self.key,
                self.folder,
                previous[0],
                uidvalidity,
            )
        else:
            log.info("%s: no checkpoint; reading folder %r from the start", self.key, self.folder)
        if exists == 0:
            return uidvalidity, []
        with self._errors("listing the folder's messages"):
            return uidvalidity, sorted(client.search("ALL"))

    def _select(self, client: IMAPClient) -> dict[bytes, Any]:
        try:
            return client.select_folder(self.folder, readonly=True)
        except (IMAPClientAbortError, OSError) as exc:
            raise self._lost(exc, "opening the folder") from None
        except IMAPClientError as exc:
            reason = self._safe(exc)
        known = ""
        with suppress(IMAPClientError, OSError):
            names = sorted(str(name) for _flags, _delim, name in client.list_folders())
            known = f" (folders on this server: {', '.join(names[:30])})"
        raise SourceError(
            f"IMAP server {self.host}:{self.port} (user {self.user}) cannot open folder "
            f"{self.folder!r}: {reason}; check the folder name{known}"
        )

    # -- fetching -----------------------------------------------------------------------------

    def _fetch_all(self, link: _Link, uids: list[int]) -> Iterator[Located]:
        done = 0
        for start in range(0, len(uids), self.batch):
            chunk = uids[start : start + self.batch]
            fetched = self._fetch_batch(link, chunk)
            for uid in chunk:
                done += 1
                item = self._item(uid, fetched.get(uid))
                yield Located(item, f"{link.uidvalidity}:{uid}", done)
            del fetched  # let this batch's bodies go before the next FETCH

    def _fetch_batch(
        self, link: _Link, chunk: Sequence[int], *, retry: bool = True
    ) -> dict[int, dict | str]:
        """Fetch one batch: UID -> FETCH data, or why the server would not return that message.

        A server may answer NO for a whole batch, or even drop the connection (Dovecot does when
        it cannot read a message file), because of one message. Then the batch is asked for one
        message at a time on a fresh connection, so the others are captured and only that one
        is quarantined, instead of the same message failing every run forever.
        """
        try:
            fetched = dict(link.client.fetch(chunk, _FETCH_ITEMS))
            link.failures = 0
            return fetched
        except (IMAPClientAbortError, OSError) as exc:  # abort first: it subclasses the error
            problem = f"the server dropped the connection when asked for it: {self._safe(exc)}"
            self._reconnect(link, exc, f"fetching {len(chunk)} messages")
            if len(chunk) == 1 and retry:  # a passing network fault, or this message?
                return self._fetch_batch(link, chunk, retry=False)
        except IMAPClientError as exc:
            problem = f"the server refused to return it: {self._safe(exc)}"
        if len(chunk) == 1:
            link.failures += 1
            if link.failures > _MAX_FAILURES_IN_A_ROW:
                raise SourceError(
                    f"{self._where()}: {link.failures} messages in a row could not be fetched, "
                    f"the last (UID {chunk[0]}) with: {problem}; check the server's logs, then "
                    "run the capture again"
                )
            return {chunk[0]: problem}
        out: dict[int, dict | str] = {}
        for uid in chunk:
            out.update(self._fetch_batch(link, [uid]))
        return out

    def _reconnect(self, link: _Link, exc: BaseException, doing: str) -> None:
        """Replace a dropped connection by a new one on the same folder, or raise SourceError."""
        log.warning("%s: connection dropped while %s; reconnecting", self.key, doing)
        _close(link.client)
        try:
            link.client = self._connect()
            info = self._select(link.client)
        except SourceError as again:
            raise self._lost(exc, f"{doing} (and reconnecting failed: {again})") from None
        if int(info.get(b"UIDVALIDITY", -1)) != link.uidvalidity:
            raise SourceError(
                f"{self._where()}: the folder's UIDVALIDITY changed during capture; run the "
                "capture again, it reads the folder from the start"
            )

    def _item(self, uid: int, data: dict | str | None) -> Item:
        position = f"{self.folder} UID {uid}"
        raw = data.get(b"BODY[]") if isinstance(data, dict) else None
        if raw is None:
            reason = (
                data
                if isinstance(data, str)
                else "the server returned no body for it (deleted while capture ran?)"
            )
            return Rejected(kind="email", source=self.key, position=position, reason=reason)
        internal = data.get(b"INTERNALDATE") if isinstance(data, dict) else None
        # origin: a rejection names this folder (the source key), a capture the channel.
        return parse_message(
            _with_date(bytes(raw), internal),
            source=CHANNEL,
            position=position,
            origin=self.key,
            lazy_body=True,
        )


@dataclass
class _Link:
    """The connection one read uses; replaced when the server drops it."""

    client: IMAPClient
    uidvalidity: int = 0
    failures: int = 0  # single messages in a row that could not be fetched


def imap_sources(
    host: str,
    port: int,
    user: str,
    password: str,
    folders: Sequence[str],
    ssl: bool = True,
    insecure: bool = False,
    *,
    batch: int = DEFAULT_BATCH,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> list[ImapSource]:
    """One :class:`ImapSource` per folder of one account, each with its own checkpoint.

    Raises :class:`~rightturn.errors.ConfigError` for no folders, a repeated folder, or any
    setting :class:`ImapSource` refuses.
    """
    if isinstance(folders, str):
        folders = [folders]  # a single name, not its characters
    if not folders:
        raise ConfigError(
            f"no IMAP folders given for {user}@{host}: name at least one, e.g. INBOX and Sent"
        )
    repeated = sorted({f for f in folders if list(folders).count(f) > 1})
    if repeated:
        raise ConfigError(f"IMAP folders listed more than once: {', '.join(repeated)}")
    return [
        ImapSource(
            host,
            port,
            user,
            password,
            folder,
            ssl=ssl,
            insecure=insecure,
            batch=batch,
            timeout=timeout,
        )
        for folder in folders
    ]


def _check_settings(
    host: str, port: int, user: str, folder: str, *, ssl: bool, insecure: bool, batch: int
) -> None:
    if not ssl and not insecure:
        raise ConfigError(
            f"IMAP to {host}:{port} without TLS would send the password in clear text; use TLS "
            "(the default, port 993), or add --insecure, which is for a local test server only"
        )
    if not host:
        raise ConfigError("IMAP host is empty: give the server name, e.g. imap.example.com")
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"IMAP port must be 1-65535, got {port!r}: IMAPS is usually 993")
    if not user:
        raise ConfigError(f"IMAP user is empty for {host}:{port}: give the account's login")
    if not folder:
        raise ConfigError(f"IMAP folder name is empty for {user}@{host}: e.g. INBOX")
    if not isinstance(batch, int) or batch < 1:
        raise ConfigError(f"IMAP batch must be a positive number of messages, got {batch!r}")


def _with_date(raw: bytes, internal: datetime | None) -> bytes:
    """Add a Date header from the server's INTERNALDATE when the message has none.

    Only IMAP knows when the server received a message; for a message without a Date header
    that is the best time there is, so it is handed to the shared parser as a header.
    """
    if not isinstance(internal, datetime) or internal.tzinfo is None:
        return raw
    if not _LOOKS_LIKE_A_HEADER.match(raw):
        return raw  # not even the start of a header block: the parser rejects it as it is
    end = header_end(raw)
    head = raw if end is None else raw[: end + 1]
    if _DATE_HEADER.search(head):
        return raw
    newline = b"\r\n" if b"\r\n" in raw[:1000] else b"\n"
    return b"Date: " + format_datetime(internal).encode("ascii") + newline + raw


def _close(client: IMAPClient) -> None:
    """Log out, and if the connection is already broken just close the socket."""
    try:
        client.logout()
    except (IMAPClientError, OSError):
        with suppress(IMAPClientError, OSError):
            client.shutdown()
