"""IMAP capture against a real Dovecot server, started for each test (see dovecot.py)."""

from __future__ import annotations

import logging
import mailbox
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from rightturn.capture.imap import ImapSource, imap_sources
from rightturn.capture.items import Captured, Located, Rejected
from rightturn.errors import ConfigError, SourceError
from rightturn.simulate import simulate_org
from tests.capture.dovecot import Dovecot, DovecotUnavailable, running_dovecot

# Builds or reads whole orgs: outside the fast loop (`pytest -m "not slow and not postgres"`).
pytestmark = pytest.mark.slow


# Not an email: no sender, no Message-ID, no header block at all.
MALFORMED = b"this line is not a header\r\nand there is no sender, date or Message-ID\r\n"


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    """A fresh Dovecot with user alice and an empty INBOX; skips when Dovecot cannot run."""
    try:
        with running_dovecot() as server:
            yield server
    except DovecotUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """Ten realistic messages, as a rep's mailbox holds them."""
    root = tmp_path_factory.mktemp("imap") / "org"
    simulate_org(root, seed=3, reps=2, months=1, end=date(2026, 6, 30))
    box = mailbox.mbox(root / "mail" / "R0001.mbox", create=False)
    try:
        keys = list(box.iterkeys())[:10]
        return [box.get_bytes(k) for k in keys]
    finally:
        box.close()


def message_id(raw: bytes) -> str:
    for line in raw.splitlines():
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode()
    raise AssertionError("test message without a Message-ID")


def source(server: Dovecot, folder: str = "INBOX", **kwargs: object) -> ImapSource:
    return ImapSource(
        server.host,
        server.port,
        server.user,
        server.password,
        folder,
        ssl=False,
        insecure=True,
        **kwargs,  # type: ignore[arg-type]
    )


def captured_ids(items: list[Located]) -> list[str]:
    return [x.item.source_id for x in items if isinstance(x.item, Captured)]


def test_first_read_captures_every_message_and_rejects_the_malformed_one(dovecot, mail):
    uids = dovecot.append("INBOX", [*mail[:5], MALFORMED])
    src = source(dovecot)
    assert src.total() is None  # nothing is known before the folder is opened

    items = list(src.read(None))

    assert captured_ids(items) == [message_id(m) for m in mail[:5]]
    assert all(x.item.source == "imap" for x in items if isinstance(x.item, Captured))
    [rejected] = [x.item for x in items if isinstance(x.item, Rejected)]
    uidvalidity, bad_uid = uids[5]
    assert rejected.position == f"INBOX UID {bad_uid}"
    assert rejected.source == src.key and "not an email" in rejected.reason
    assert [x.item.position for x in items] == [f"INBOX UID {uid}" for _, uid in uids]
    assert [x.done for x in items] == [1, 2, 3, 4, 5, 6]
    assert src.total() == 6
    assert items[-1].checkpoint == f"{uidvalidity}:{bad_uid}"


def test_a_second_read_from_the_checkpoint_fetches_nothing(dovecot, mail):
    dovecot.append("INBOX", mail[:3])
    src = source(dovecot)
    checkpoint = list(src.read(None))[-1].checkpoint

    assert list(src.read(checkpoint)) == []
    assert src.total() == 0


def test_only_messages_appended_after_the_checkpoint_are_fetched(dovecot, mail):
    dovecot.append("INBOX", mail[:4])
    src = source(dovecot)
    checkpoint = list(src.read(None))[-1].checkpoint

    [(uidvalidity, _), (_, last)] = dovecot.append("INBOX", mail[4:6])
    items = list(src.read(checkpoint))

    assert captured_ids(items) == [message_id(m) for m in mail[4:6]]
    assert [x.done for x in items] == [1, 2]
    assert src.total() == 2
    assert items[-1].checkpoint == f"{uidvalidity}:{last}"


def test_a_checkpoint_past_the_highest_uid_fetches_nothing(dovecot, mail):
    # `UID n:*` matches the highest UID even when it is below n: that message must not repeat.
    dovecot.append("INBOX", mail[:3])  # UIDs 1, 2, 3; then 3 goes, so the highest is 2
    with dovecot.client() as client:
        client.select_folder("INBOX")
        client.delete_messages([3])
        client.expunge()
    with dovecot.client() as client:
        uidvalidity = client.select_folder("INBOX", readonly=True)[b"UIDVALIDITY"]

    assert list(source(dovecot).read(f"{uidvalidity}:2")) == []
    [after_first] = list(source(dovecot).read(f"{uidvalidity}:1"))
    assert after_first.item.position == "INBOX UID 2"


def test_a_message_the_server_cannot_read_is_rejected_and_the_others_captured(dovecot, mail):
    uids = dovecot.append("INBOX", mail[:3])
    # Dovecot answers NO and drops the connection for a message file it cannot read.
    dovecot.message_file(message_id(mail[1])).chmod(0)
    src = source(dovecot)

    items = list(src.read(None))

    assert captured_ids(items) == [message_id(mail[0]), message_id(mail[2])]
    rejected = items[1].item
    assert isinstance(rejected, Rejected)
    assert rejected.position == f"INBOX UID {uids[1][1]}" and rejected.source == src.key
    assert "the server dropped the connection" in rejected.reason
    assert items[-1].checkpoint == f"{uids[2][0]}:{uids[2][1]}"  # past it: not retried forever


def test_capture_leaves_messages_unseen(dovecot, mail):
    dovecot.append("INBOX", mail[:3])

    items = list(source(dovecot).read(None))

    assert len(captured_ids(items)) == 3
    flags = dovecot.flags("INBOX")
    assert len(flags) == 3
    assert not any(b"\\Seen" in f for f in flags.values()), flags


def test_small_batches_fetch_every_message_in_uid_order(dovecot, mail):
    dovecot.append("INBOX", mail[:7])

    items = list(source(dovecot, batch=2).read(None))

    assert captured_ids(items) == [message_id(m) for m in mail[:7]]
    assert [x.done for x in items] == list(range(1, 8))


def test_a_changed_uidvalidity_reads_the_folder_again_from_the_start(dovecot, mail, caplog):
    [(old_validity, _), *_] = dovecot.append("Sent", mail[:3])
    src = source(dovecot, "Sent")
    checkpoint = list(src.read(None))[-1].checkpoint

    dovecot.recreate("Sent")  # as after a restore or a server migration: old UIDs mean nothing
    [(new_validity, _), *_] = dovecot.append("Sent", mail[:3])
    with caplog.at_level(logging.WARNING, logger="rightturn.capture.imap"):
        items = list(src.read(checkpoint))

    assert new_validity != old_validity
    # The same UIDs exist again, so only a resync (not an incremental read) returns them all.
    assert captured_ids(items) == [message_id(m) for m in mail[:3]]
    assert items[-1].checkpoint.startswith(f"{new_validity}:")
    assert any("UIDVALIDITY" in r.message and "'Sent'" in r.message for r in caplog.records)


def test_each_folder_is_its_own_source_with_its_own_checkpoint(dovecot, mail):
    dovecot.append("INBOX", mail[:3])
    dovecot.append("Sent", mail[3:5])

    inbox, sent = imap_sources(
        dovecot.host,
        dovecot.port,
        dovecot.user,
        dovecot.password,
        ["INBOX", "Sent"],
        ssl=False,
        insecure=True,
    )

    assert inbox.key == f"imap:alice@127.0.0.1:{dovecot.port}/INBOX"
    assert sent.key == f"imap:alice@127.0.0.1:{dovecot.port}/Sent"
    inbox_items, sent_items = list(inbox.read(None)), list(sent.read(None))
    assert captured_ids(inbox_items) == [message_id(m) for m in mail[:3]]
    assert captured_ids(sent_items) == [message_id(m) for m in mail[3:5]]
    assert [x.item.position for x in sent_items] == ["Sent UID 1", "Sent UID 2"]
    dovecot.append("Sent", mail[5:6])
    assert list(inbox.read(inbox_items[-1].checkpoint)) == []
    assert captured_ids(list(sent.read(sent_items[-1].checkpoint))) == [message_id(mail[5])]


def test_a_message_without_a_date_takes_the_servers_arrival_time(dovecot, mail):
    undated = b"\n".join(
        line for line in mail[0].split(b"\n") if not line.lower().startswith(b"date:")
    )
    arrived = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
    with dovecot.client() as client:
        client.append("INBOX", undated.replace(b"\n", b"\r\n"), msg_time=arrived)

    [located] = list(source(dovecot).read(None))

    assert isinstance(located.item, Captured)
    assert located.item.occurred_at == arrived


def test_a_wrong_password_is_a_source_error_that_never_shows_the_password(dovecot):
    password = "Wr0ng-Secret-xyz"
    src = ImapSource(
        dovecot.host, dovecot.port, dovecot.user, password, "INBOX", ssl=False, insecure=True
    )

    with pytest.raises(SourceError) as raised:
        list(src.read(None))

    message = str(raised.value)
    assert password not in message and password not in repr(src)
    assert f"{dovecot.host}:{dovecot.port}" in message and dovecot.user in message
    assert "password" in message  # the fix: check the user name and password


def test_a_missing_folder_is_a_source_error_that_names_it(dovecot):
    with pytest.raises(SourceError, match=r"'Archive 2019'.*INBOX"):
        list(source(dovecot, "Archive 2019").read(None))


def test_an_unreachable_server_is_a_source_error_that_names_it():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    src = ImapSource("127.0.0.1", port, "bob", "hunter2", "INBOX", ssl=False, insecure=True)

    with pytest.raises(SourceError, match=rf"127\.0\.0\.1:{port}.*bob.*host name and port"):
        list(src.read(None))


def test_tls_to_a_plaintext_port_is_a_source_error(dovecot):
    src = ImapSource(dovecot.host, dovecot.port, dovecot.user, dovecot.password, "INBOX")

    with pytest.raises(SourceError, match=r"TLS|IMAPS") as raised:
        list(src.read(None))
    assert dovecot.password not in str(raised.value)


def test_plaintext_without_insecure_is_a_config_error():
    with pytest.raises(ConfigError, match="--insecure"):
        ImapSource("imap.example.com", 143, "carol", "pw", "INBOX", ssl=False)
    with pytest.raises(ConfigError, match="--insecure"):
        imap_sources("imap.example.com", 143, "carol", "pw", ["INBOX"], ssl=False)


def test_imap_sources_needs_distinct_folders():
    with pytest.raises(ConfigError, match="at least one"):
        imap_sources("imap.example.com", 993, "carol", "pw", [])
    with pytest.raises(ConfigError, match="INBOX"):
        imap_sources("imap.example.com", 993, "carol", "pw", ["INBOX", "INBOX"])


def test_the_password_is_not_in_the_repr():
    src = ImapSource("imap.example.com", 993, "carol", "pw-in-repr?", "INBOX")
    assert "pw-in-repr?" not in repr(src)
    assert src.key == "imap:carol@imap.example.com:993/INBOX"


def test_capturing_imap_twice_and_after_a_resync_stores_each_message_once(dovecot, mail, tmp_path):
    from sqlalchemy import func, select

    from rightturn.capture.pipeline import capture
    from rightturn.crm.model import Activity, DroppedItem
    from rightturn.crm.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 'imap.db'}")
    dovecot.append("Sent", mail[:6])

    def total() -> int:
        with store.session() as s:
            kept = s.scalar(select(func.count()).select_from(Activity)) or 0
            dropped = s.scalar(select(func.count()).select_from(DroppedItem)) or 0
        return kept + dropped

    first = capture(store, [source(dovecot, "Sent")])
    assert first.read == 6 and total() == 6
    again = capture(store, [source(dovecot, "Sent")])  # incremental: nothing new on the server
    assert again.read == 0
    dovecot.recreate("Sent")  # a changed UIDVALIDITY: the folder is read again from UID 1
    dovecot.append("Sent", mail[:7])
    resync = capture(store, [source(dovecot, "Sent")])
    assert resync.read == 7
    assert total() == 7  # the six already stored are not stored again; the new one is
