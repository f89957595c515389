"""The process in force, and its versions.

``rightturn process apply FILE`` checks a process file (:func:`~rightturn.process.definition.
parse_process`) and stores it as the next version (a :class:`~rightturn.crm.model.
ProcessVersion` row), with when and by whom. Versions are never changed or deleted: changing the
process later adds one, so what was measured under an earlier version stays measured under it.
Version 0 is the shipped default (``rightturn/process/files/default.yaml``), in force until the
first apply and never stored; stage order is learned from the history while it is in force
(:func:`rightturn.crm.stages.stage_order`), since its stage names may not be the data's.

Applying the text of the version already in force adds nothing and says so; applying the
shipped default's text does add a version: it pins that text, which a later rightturn may ship
changed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from rightturn.crm.model import ProcessVersion
from rightturn.crm.settings import bump_data_version
from rightturn.crm.stages import applied_version
from rightturn.crm.store import Store
from rightturn.crm.types import utcnow
from rightturn.errors import NotFound, ParseError
from rightturn.process.definition import FILES, Process, parse_process, read_process_file

__all__ = [
    "AppliedProcess",
    "apply_process",
    "default_version",
    "find_version",
    "in_force",
    "list_versions",
    "process_in_force",
    "version_in_force",
]


@dataclass(frozen=True)
class AppliedProcess:
    """One version of the process: its number (0: the shipped default, never applied), the
    definition's name and YAML text, and when and by whom it was applied (None for version 0).
    ``added`` is False when :func:`apply_process` found this text already in force."""

    version: int
    name: str
    definition: str
    applied_at: datetime | None
    applied_by: str | None
    added: bool = False

    def process(self) -> Process:
        """The definition, parsed (it was checked when applied)."""
        return _parsed(self.definition, self.version)


def apply_process(store: Store, text_or_path: str | Path, *, who: str) -> AppliedProcess:
    """Check a process definition (YAML text, or a :class:`~pathlib.Path` to a file) and put it
    in force as a new version applied by ``who``; the version in force, unchanged, when its text
    is the same (line endings and trailing blank lines aside). A bad definition raises
    :class:`~rightturn.process.definition.ProcessError` listing every problem with its line,
    and nothing is stored.
    """
    text, source = _read(text_or_path)
    process = parse_process(text, source)
    by = " ".join(who.split())
    if not by:
        raise ParseError("say who applies the process (a name or an email)")
    try:
        with store.session() as s:
            # The data version first: the write takes the database's write lock (SQLite) or the
            # setting's row lock (PostgreSQL) before the version in force is read, so two applies
            # of the same text at once run one after the other and the second finds the first's
            # version instead of adding a copy. It also refreshes cached analytics, whose stage
            # order follows the process.
            bump_data_version(s)
            current = applied_version(s)
            if current is not None and current.definition == text:
                raise _AlreadyInForce(_info(current))
            row = ProcessVersion(
                name=process.name,
                definition=text,
                stage_order=process.stage_order,
                won_stages=[st.name for st in process.stages if st.outcome == "won"],
                lost_stages=[st.name for st in process.stages if st.outcome == "lost"],
                applied_at=utcnow(),
                applied_by=by[:320],
            )
            s.add(row)
            s.flush()
            return _info(row, added=True)
    except _AlreadyInForce as same:  # rolled back: the data did not change
        return same.version


def version_in_force(store: Store, at: datetime | None = None) -> AppliedProcess:
    """The version in force at ``at`` (now when None; a naive time is UTC): the last one applied
    by then, else the shipped default (version 0). A past inspection passes its own time, so a
    version applied since does not change what it measured against."""
    with store.session() as s:
        return in_force(s, at)


def in_force(session: Session, at: datetime | None = None) -> AppliedProcess:
    """:func:`version_in_force` in the caller's session."""
    row = applied_version(session, at)
    return _info(row) if row is not None else default_version()


def process_in_force(store: Store, at: datetime | None = None) -> tuple[int, Process]:
    """The number and definition of the version in force at ``at`` (0: the shipped default)."""
    found = version_in_force(store, at)
    return found.version, found.process()


def list_versions(store: Store) -> list[AppliedProcess]:
    """Every applied version, newest first (empty while the shipped default is in force)."""
    with store.session() as s:
        rows = s.scalars(
            select(ProcessVersion).order_by(
                ProcessVersion.applied_at.desc(), ProcessVersion.version.desc()
            )
        )
        return [_info(row) for row in rows]


def find_version(store: Store, version: int) -> AppliedProcess:
    """Version ``version`` (0: the shipped default); :class:`NotFound` names the ones there are."""
    if version == 0:
        return default_version()
    with store.session() as s:
        row = s.get(ProcessVersion, version)
        if row is not None:
            return _info(row)
        last = s.scalar(select(ProcessVersion.version).order_by(ProcessVersion.version.desc()))
    there = (
        "none was applied yet"
        if not last
        else "only version 1 was applied"
        if last == 1
        else f"versions 1 to {last} were applied"
    )
    raise NotFound(
        f"no process version {version}: {there} (`rightturn process list` shows them; 0 is "
        "the shipped default)"
    )


@functools.cache
def default_version() -> AppliedProcess:
    """The shipped default as version 0."""
    text = (FILES / "default.yaml").read_text(encoding="utf-8")
    return AppliedProcess(0, parse_process(text).name, text, None, None)


def _read(text_or_path: str | Path) -> tuple[str, str]:
    """The definition's text with ``\\n`` line endings and one final newline, and the name its
    errors give it."""
    if isinstance(text_or_path, Path):
        raw, source = read_process_file(text_or_path), str(text_or_path)
    else:
        raw, source = text_or_path, "the process"
    text = raw.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return text.rstrip("\n") + "\n", source


@functools.lru_cache(maxsize=32)
def _parsed(definition: str, version: int) -> Process:
    """A stored definition, parsed once per process: every page and guided day reads the
    version in force, and a Process is immutable."""
    return parse_process(definition, f"process version {version}")


def _info(row: ProcessVersion, *, added: bool = False) -> AppliedProcess:
    return AppliedProcess(
        row.version, row.name, row.definition, row.applied_at, row.applied_by, added
    )


class _AlreadyInForce(Exception):
    """Raised inside the apply's transaction to roll it back (its data-version bump with it)."""

    def __init__(self, version: AppliedProcess) -> None:
        self.version = version
