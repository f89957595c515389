"""Mailbox files as sources: streaming, resuming, un-escaping, and the simulator's mail."""

from __future__ import annotations

import email
import mailbox
from datetime import date
from pathlib import Path

import pytest

from rightturn.capture.email_parse import settle
from rightturn.capture.items import Captured, Rejected
from rightturn.capture.mailfiles import EmlSource, MaildirSource, MboxSource, mail_sources
from rightturn.errors import SourceError


def message(n: int, body: str = "Hello.") -> bytes:
    return (
        f"Message-ID: <m{n}@example.com>\nDate: Tue, 02 Jun 2026 10:{n:02d}:00 +0000\n"
        f"From: Alice <alice@seller.io>\nTo: bob@buyer.com\nSubject: note {n}\n\n{body}\n"
    ).encode()


def write_mbox(path: Path, bodies: list[bytes], tail: bytes = b"") -> Path:
    with open(path, "wb") as f:
        for raw in bodies:
            f.write(b"From alice@seller.io Tue Jun  2 10:00:00 2026\n" + raw + b"\n")
        f.write(tail)
    return path


def ids(located) -> list[str]:
    return [x.item.source_id for x in located if isinstance(x.item, Captured)]


def test_mbox_reads_every_message_with_positions_and_progress(tmp_path):
    path = write_mbox(tmp_path / "a.mbox", [message(i) for i in range(5)])
    source = MboxSource(path)
    out = list(source.read(None))
    assert ids(out) == [f"<m{i}@example.com>" for i in range(5)]
    assert source.key == f"mbox:{path.absolute()}"
    assert out[0].item.position == f"{path.absolute()}:0"
    assert out[-1].done == source.total() == path.stat().st_size
    assert [x.done for x in out] == sorted(x.done for x in out)


def test_mbox_resumes_with_exactly_the_remaining_messages(tmp_path):
    path = write_mbox(tmp_path / "a.mbox", [message(i) for i in range(6)])
    source = MboxSource(path)
    first = list(source.read(None))
    for cut in range(len(first)):
        assert ids(source.read(first[cut].checkpoint)) == ids(first[cut + 1 :])


def test_a_rewritten_mbox_restarts_from_the_top(tmp_path):
    path = write_mbox(tmp_path / "a.mbox", [message(i) for i in range(4)])
    checkpoint = list(MboxSource(path).read(None))[1].checkpoint
    write_mbox(path, [message(i + 10) for i in range(4)])
    assert ids(MboxSource(path).read(checkpoint)) == [f"<m{i + 10}@example.com>" for i in range(4)]


def test_mboxrd_from_lines_are_unescaped(tmp_path):
    # As written by an mboxrd writer: one ">" added to each (">"*)"From " line.
    path = write_mbox(
        tmp_path / "a.mbox", [message(1, ">From the desk of Bob\n\n>>From: not a quote")]
    )
    (item,) = [x.item for x in MboxSource(path).read(None)]
    assert isinstance(item, Captured)
    assert item.body_excerpt is None and item.pending_body  # cleaned on demand
    assert settle(item).body_excerpt == "From the desk of Bob"  # ">From: ..." is now a quoted line


def test_a_from_line_inside_a_paragraph_does_not_split_a_message(tmp_path):
    path = write_mbox(tmp_path / "a.mbox", [message(1, "line one\nFrom me to you")])
    assert len(list(MboxSource(path).read(None))) == 1


def test_truncated_final_message_is_rejected(tmp_path):
    tail = b"From x Tue Jun  2 10:00:00 2026\nMessage-ID: <cut@x>\nFrom: a@b.c\nSubj"
    path = write_mbox(tmp_path / "a.mbox", [message(1)], tail=tail)
    out = [x.item for x in MboxSource(path).read(None)]
    assert isinstance(out[0], Captured)
    assert isinstance(out[1], Rejected) and "truncated" in out[1].reason
    assert out[1].source == str(path.absolute())


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n" + bytes(300), b"just text\n"])
def test_a_file_that_is_not_an_mbox_is_one_rejection(tmp_path, content):
    path = tmp_path / "x.mbox"
    path.write_bytes(content)
    (located,) = list(MboxSource(path).read(None))
    assert isinstance(located.item, Rejected) and "not an mbox" in located.item.reason


def make_maildir(root: Path) -> Path:
    box = mailbox.Maildir(root, create=True)
    box.add(mailbox.MaildirMessage(message(1)))
    box.add(mailbox.MaildirMessage(message(2)))
    sub = box.add_folder("Sent")
    sub.add(mailbox.MaildirMessage(message(3)))
    return root


def test_maildir_reads_cur_new_and_subfolders(tmp_path):
    root = make_maildir(tmp_path / "md")
    source = MaildirSource(root)
    out = list(source.read(None))
    assert sorted(ids(out)) == ["<m1@example.com>", "<m2@example.com>", "<m3@example.com>"]
    assert source.total() == 3 and out[-1].done == 3
    assert all(x.item.source == "maildir" for x in out)


def test_maildir_resume_survives_a_move_from_new_to_cur(tmp_path):
    root = make_maildir(tmp_path / "md")
    first = list(MaildirSource(root).read(None))
    for f in (root / "new").iterdir():  # a client reads the mail: new/ -> cur/ with flags
        f.rename(root / "cur" / (f.name + ":2,S"))
    assert ids(MaildirSource(root).read(first[0].checkpoint)) == ids(first[1:])


def test_eml_file_or_folder(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.eml").write_bytes(message(1))
    (tmp_path / "two.eml").write_bytes(message(2))
    assert ids(EmlSource(tmp_path / "two.eml").read(None)) == ["<m2@example.com>"]
    out = list(EmlSource(tmp_path).read(None))
    assert ids(out) == ["<m1@example.com>", "<m2@example.com>"]
    assert ids(EmlSource(tmp_path).read(out[0].checkpoint)) == ["<m2@example.com>"]


def test_mail_sources_names_a_missing_path(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        mail_sources([tmp_path / "nope.mbox"], "mbox")
    with pytest.raises(SourceError, match="Maildir"):
        mail_sources([tmp_path], "maildir")
    path = write_mbox(tmp_path / "a.mbox", [message(1)])
    assert [s.key for s in mail_sources([path], "mbox")] == [f"mbox:{path.absolute()}"]


@pytest.fixture(scope="module")
def simulated_org(tmp_path_factory) -> Path:
    from rightturn.simulate import simulate_org

    out = tmp_path_factory.mktemp("org")
    simulate_org(out, reps=3, months=2, end=date(2026, 6, 30))
    return out


def test_every_simulated_message_is_captured_with_the_stdlib_message_id(simulated_org):
    boxes = sorted((simulated_org / "mail").glob("*.mbox"))
    assert boxes
    checked = 0
    for path in boxes:
        items = [x.item for x in MboxSource(path).read(None)]
        assert not [i for i in items if isinstance(i, Rejected)], path
        expected = [str(m["Message-ID"]).strip() for m in mailbox.mbox(path)]
        assert [i.source_id for i in items] == expected
        for raw, item in zip(mailbox.mbox(path), items, strict=True):
            settle(item)
            if item.in_reply_to:
                parsed = email.message_from_bytes(raw.as_bytes())
                assert item.in_reply_to == str(parsed["In-Reply-To"]).strip()
            # The simulator quotes replies with "On ... wrote:" and "> " lines.
            assert ">" not in (item.body_excerpt or "").split("\n")[0][:1]
            assert not any(line.startswith(">") for line in (item.body_excerpt or "").splitlines())
            assert " wrote:" not in (item.body_excerpt or "")
            checked += 1
    assert checked > 100


def test_messages_spanning_read_blocks_are_whole(tmp_path, monkeypatch):
    import rightturn.capture.mailfiles as mailfiles

    path = write_mbox(tmp_path / "a.mbox", [message(i, "x\n\n" * 20) for i in range(7)])
    whole = list(MboxSource(path).read(None))
    monkeypatch.setattr(mailfiles, "_BLOCK", 7)  # separators fall across block edges
    assert [(x.item, x.checkpoint) for x in MboxSource(path).read(None)] == [
        (x.item, x.checkpoint) for x in whole
    ]
