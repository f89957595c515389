"""One simulated organisation shared by the simulate tests (generating it is the slow part)."""

from __future__ import annotations

import csv
import email
import email.policy
import mailbox
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest

from rightturn.simulate import SimulationSummary, simulate_org

END = date(2025, 6, 30)


@dataclass
class Org:
    """A generated org plus parsed views of its files, loaded once."""

    root: Path
    summary: SimulationSummary
    progress: list[tuple[int, int]]

    def csv(self, rel: str) -> list[dict[str, str]]:
        with open(self.root / rel, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    def header(self, rel: str) -> list[str]:
        with open(self.root / rel, newline="", encoding="utf-8") as f:
            return next(csv.reader(f))


@pytest.fixture(scope="session")
def org(tmp_path_factory: pytest.TempPathFactory) -> Org:
    root = tmp_path_factory.mktemp("org") / "demo"
    calls: list[tuple[int, int]] = []
    summary = simulate_org(
        root, seed=7, reps=20, months=6, end=END, progress=lambda d, t: calls.append((d, t))
    )
    return Org(root, summary, calls)


@pytest.fixture(scope="session")
def messages(org: Org) -> dict[str, list[EmailMessage]]:
    """Every mailbox, every message parsed with the modern policy, keyed by owner id."""
    out: dict[str, list[EmailMessage]] = {}
    for path in sorted((org.root / "mail").glob("*.mbox")):
        box = mailbox.mbox(path, create=False)
        try:
            out[path.stem] = [
                email.message_from_bytes(box.get_bytes(k), policy=email.policy.default)
                for k in box.iterkeys()
            ]
        finally:
            box.close()
    return out


@pytest.fixture(scope="session")
def activities(org: Org) -> list[dict[str, str]]:
    return org.csv("truth/activities.csv")
