"""A throwaway Dovecot IMAP server for tests: real IMAP, a real Maildir, one passwd-file user.

:func:`running_dovecot` starts ``dovecot -c CONFIG`` on a free loopback port with everything
(config, sockets, state, log, mail) in a fresh temporary folder, waits until the port greets,
and on exit stops it by the pid in ``base_dir/master.pid`` and removes the folder. It never
touches the system's Dovecot configuration or service. When Dovecot is missing or cannot start it
raises :class:`DovecotUnavailable` with the reason, which the tests turn into a skip.

Running as root (as CI does) needs the caveats in /work/shared/NOTES.md: login and internal
processes run as ``dovenull``/``dovecot``, mail is owned by ``mail`` (uid 0 is refused), and the
temporary folder is world-traversable.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imapclient import IMAPClient

INSTALL_HINT = "apt-get install dovecot-imapd (or run .ci/install-deps)"
STARTUP_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0

_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]", re.IGNORECASE)

CONFIG = """\
# Written by tests/capture/dovecot.py for one test run; nothing here is read from /etc/dovecot.
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = rightturn-test-{port}
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log

# imap-login refuses to run as root, and uid 0 may not own mail.
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = 1

ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login

passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root}/home/%u
}}
mail_location = maildir:~/Maildir

namespace inbox {{
  inbox = yes
  separator = /
}}

service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  # No IMAPS listener: it would need a certificate and could collide with a system Dovecot.
  inet_listener imaps {{
    port = 0
  }}
}}
{unprivileged}"""

# Without root, processes cannot chroot; these two chroot by default.
UNPRIVILEGED = """\
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
"""


class DovecotUnavailable(Exception):
    """Dovecot is not installed or would not start here; the message says why."""


@dataclass
class Dovecot:
    """A running throwaway server and its one user."""

    root: Path
    port: int
    user: str
    password: str
    host: str = "127.0.0.1"

    @property
    def log_text(self) -> str:
        """The server's log so far, for a failing test's message."""
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @contextmanager
    def client(self) -> Iterator[IMAPClient]:
        """A plaintext IMAP session logged in as the test user."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        try:
            client.login(self.user, self.password)
            yield client
        finally:
            with suppress(Exception):
                client.logout()

    def append(self, folder: str, messages: Sequence[bytes]) -> list[tuple[int, int]]:
        """APPEND each message to ``folder`` (created if missing); return (UIDVALIDITY, UID)s."""
        out = []
        with self.client() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for raw in messages:
                reply = client.append(folder, _crlf(raw))
                found = _APPENDUID.search(reply)
                assert found, f"no APPENDUID in the server's reply {reply!r}"
                out.append((int(found.group(1)), int(found.group(2))))
        return out

    def flags(self, folder: str) -> dict[int, tuple[bytes, ...]]:
        """UID -> flags of every message in ``folder``, read without changing them."""
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            return {
                uid: data[b"FLAGS"]
                for uid, data in client.fetch(client.search("ALL"), ["FLAGS"]).items()
            }

    def message_file(self, message_id: str) -> Path:
        """The Maildir file of the message with this Message-ID (INBOX only)."""
        maildir = self.root / "home" / self.user / "Maildir"
        needle = f"Message-ID: {message_id}".encode()
        for path in [*maildir.glob("cur/*"), *maildir.glob("new/*")]:
            if needle in path.read_bytes():
                return path
        raise AssertionError(f"no message {message_id} in {maildir}")

    def recreate(self, folder: str) -> None:
        """Delete ``folder`` and create it empty again, which gives it a new UIDVALIDITY."""
        with self.client() as client:
            client.delete_folder(folder)
            client.create_folder(folder)


@contextmanager
def running_dovecot(user: str = "alice", password: str = "s3cret-Pa55") -> Iterator[Dovecot]:
    """Start a throwaway Dovecot, yield it, and stop it; raise DovecotUnavailable if it can't."""
    binary = shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/sbin/dovecot") if os.access(p, os.X_OK)), None
    )
    if binary is None:
        raise DovecotUnavailable(f"dovecot not installed: {INSTALL_HINT}")
    # Not pytest's tmp_path: that sits under a 0700 folder the mail user cannot traverse.
    root = Path(tempfile.mkdtemp(prefix="rt-dovecot-"))
    try:
        root.chmod(0o755)
        server = _start(binary, root, user, password)
        try:
            yield server
        finally:
            _stop(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _start(binary: str, root: Path, user: str, password: str) -> Dovecot:
    ids = _identities()
    (root / "run").mkdir()
    (root / "state").mkdir()
    home = root / "home" / user
    home.mkdir(parents=True)
    (root / "home").chmod(0o755)
    os.chown(home, ids["mail_uid"], ids["mail_gid"])
    passwd = root / "passwd"
    passwd.write_text(f"{user}:{{PLAIN}}{password}\n")
    passwd.chmod(0o644)  # read by the auth process, which does not run as root
    problem = ""
    # A port chosen free can be taken before Dovecot binds it; try a few.
    for _attempt in range(3):
        port = _free_port()
        config = root / "dovecot.conf"
        config.write_text(CONFIG.format(root=root, port=port, **ids))
        # Output to a file, not a pipe: the daemon keeps its stdio open, so a pipe never ends.
        with open(root / "startup.out", "w+b") as out:
            started = subprocess.run(
                [binary, "-c", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=30,
                check=False,
            )
            out.seek(0)
            problem = out.read().decode(errors="replace").strip()
        if started.returncode != 0:
            if "in use" in problem:
                continue
            break
        if _greets(port, root):
            return Dovecot(root=root, port=port, user=user, password=password)
        problem = _tail(root / "dovecot.log")
        _stop(root)
        if "in use" not in problem:
            break
    raise DovecotUnavailable(f"dovecot would not start: {problem or 'no output'}")


def _identities() -> dict[str, Any]:
    """Who Dovecot's processes and the mail run as: system users as root, else ourselves."""
    if os.geteuid() == 0:
        try:
            mail = pwd.getpwnam("mail")
            for name in ("dovecot", "dovenull"):
                pwd.getpwnam(name)
        except KeyError as exc:
            raise DovecotUnavailable(
                f"dovecot's system users are missing ({exc}): {INSTALL_HINT}"
            ) from None
        return {
            "login_user": "dovenull",
            "internal_user": "dovecot",
            "internal_group": "dovecot",
            "mail_user": "mail",
            "mail_group": "mail",
            "mail_uid": mail.pw_uid,
            "mail_gid": mail.pw_gid,
            "unprivileged": "",
        }
    me = pwd.getpwuid(os.geteuid())
    group = me.pw_name
    with suppress(ImportError, KeyError):
        import grp

        group = grp.getgrgid(os.getegid()).gr_name
    return {
        "login_user": me.pw_name,
        "internal_user": me.pw_name,
        "internal_group": group,
        "mail_user": me.pw_uid,
        "mail_group": os.getegid(),
        "mail_uid": me.pw_uid,
        "mail_gid": os.getegid(),
        "unprivileged": UNPRIVILEGED,
    }


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _greets(port: int, root: Path) -> bool:
    """Wait until the port answers with an IMAP greeting, or the master has died."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            if sock.recv(256).startswith(b"* OK"):
                return True
        pid = _master_pid(root)
        if pid is not None and not _alive(pid):
            return False
        time.sleep(0.05)
    return False


def _stop(root: Path) -> None:
    """Stop the master by its pid file, then kill any of its children that outlived it."""
    pid = _master_pid(root)
    if pid is None or not _alive(pid):
        return
    children = [p for p in _pids() if _parent(p) == pid]
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    # The master alone takes about a second to wind its children down; they stop at once.
    for child in children:
        with suppress(ProcessLookupError):
            os.kill(child, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    for leftover in [pid, *children]:
        # Only our own processes: a recycled pid would no longer be a dovecot process.
        if _alive(leftover) and _is_dovecot(leftover):
            with suppress(ProcessLookupError):
                os.kill(leftover, signal.SIGKILL)


def _master_pid(root: Path) -> int | None:
    with suppress(OSError, ValueError):
        return int((root / "run" / "master.pid").read_text().split()[0])
    return None


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _stat(pid: int) -> list[str] | None:
    with suppress(OSError):
        text = Path(f"/proc/{pid}/stat").read_text()
        return text[text.rindex(")") + 2 :].split()  # after "pid (comm) ": state, ppid, ...
    return None


def _parent(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[1]) if fields else None


def _alive(pid: int) -> bool:
    # A zombie has exited; in a container nobody may reap it, so the pid alone proves nothing.
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def _is_dovecot(pid: int) -> bool:
    with suppress(OSError):
        return b"dovecot" in Path(f"/proc/{pid}/cmdline").read_bytes()
    return False


def _tail(path: Path, lines: int = 5) -> str:
    with suppress(OSError):
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    return ""


def _crlf(raw: bytes) -> bytes:
    """IMAP literals carry CRLF line ends (RFC 3501); mbox files on disk have bare LF."""
    return re.sub(rb"\r?\n", b"\r\n", raw)
