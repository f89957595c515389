"""Two or four captures at once into one database: none crashes, nothing is stored twice.

Each process captures every mailbox of a simulated org, in its own order (the worst overlap:
every message is raced for), in small batches so their transactions interleave. The result must
equal one sequential capture: the same activities, associated the same way, with the same
participants. ``RIGHTTURN_STRESS_RUNS`` repeats each race (``make test-full`` runs 20).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from rightturn.capture.mailfiles import mail_sources
from rightturn.capture.pipeline import capture
from rightturn.crm.imports import import_crm
from rightturn.crm.model import Activity, ActivityParticipant, DroppedItem
from rightturn.crm.store import Store
from rightturn.simulate import simulate_org
from tests.conftest import pg_schema, pg_unavailable

RUNS = int(os.environ.get("RIGHTTURN_STRESS_RUNS", "3"))


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("org") / "org"
    simulate_org(folder, seed=5, reps=4, months=2, end=date(2026, 6, 30))
    return folder


@contextmanager
def fresh(backend: str, tmp_path: Path, n: int) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / f'race-{n}.db'}"
        return
    with pg_schema() as url:
        yield url


def state(store: Store) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Activities (as associated), their participants and the dropped items, order-free."""
    with store.session() as s:
        activities = sorted(
            tuple(r)
            for r in s.execute(
                select(
                    Activity.kind,
                    Activity.source_id,
                    Activity.rep_id,
                    Activity.contact_id,
                    Activity.account_id,
                    Activity.opportunity_id,
                    Activity.status,
                )
            )
        )
        parties = sorted(
            tuple(r)
            for r in s.execute(
                select(Activity.source_id, ActivityParticipant.role, ActivityParticipant.address)
                .join(ActivityParticipant, ActivityParticipant.activity_id == Activity.activity_id)
                .distinct()
            )
        )
        dropped = sorted(
            tuple(r) for r in s.execute(select(DroppedItem.kind, DroppedItem.source_id))
        )
    return activities, parties, dropped


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
@pytest.mark.parametrize("processes", [2, 4])
def test_concurrent_captures_of_overlapping_mailboxes_equal_one_sequential_run(
    backend: str, processes: int, org: Path, tmp_path: Path
) -> None:
    if backend == "postgres" and (problem := pg_unavailable()):
        pytest.skip(problem)
    boxes = sorted(str(p) for p in (org / "mail").glob("*.mbox"))
    assert len(boxes) >= processes
    with fresh(backend, tmp_path, 0) as url:
        sequential = Store.open(url)
        import_crm(sequential, org / "crm")
        capture(sequential, mail_sources([Path(b) for b in boxes], "mbox"))
        expected = state(sequential)
        sequential.engine.dispose()
    assert len(expected[0]) > 300
    env = {**os.environ, "RIGHTTURN_CAPTURE_BATCH": "40"}
    for run in range(1, RUNS + 1):
        with fresh(backend, tmp_path, run) as url:
            store = Store.open(url)
            import_crm(store, org / "crm")
            procs = []
            for i in range(processes):
                order = boxes[i:] + boxes[:i]  # each starts where another is
                cmd = [sys.executable, "-m", "rightturn", "capture", "mbox", *order, "--db", url]
                pipe = subprocess.PIPE
                procs.append(subprocess.Popen(cmd, env=env, stdout=pipe, stderr=pipe, text=True))
            for proc in procs:
                out, err = proc.communicate(timeout=600)
                assert proc.returncode == 0, (run, err[-3000:])
                assert "already stored" in out
            assert state(store) == expected, f"run {run} differs from the sequential capture"
            store.engine.dispose()
