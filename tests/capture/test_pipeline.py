"""The whole capture pipeline over a simulated org: raw files in, associated activity out."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from rightturn.associate.evaluate import evaluate_association
from rightturn.capture.export import ACTIVITY_COLUMNS, export_activities
from rightturn.capture.org import org_sources
from rightturn.capture.pipeline import capture
from rightturn.crm.imports import import_crm
from rightturn.crm.model import Activity
from rightturn.crm.store import Store
from rightturn.simulate import simulate_org

# Builds or reads whole orgs: outside the fast loop (`pytest -m "not slow and not postgres"`).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("org") / "org"
    simulate_org(folder, seed=11, reps=6, months=4, end=date(2026, 6, 30))
    return folder


def load(url: str, org: Path) -> Store:
    store = Store.open(url)
    import_crm(store, org / "crm")
    return store


def snapshot(store: Store) -> list[tuple]:
    """Everything that matters about the stored activities, independent of insertion order."""
    out = io.StringIO()
    export_activities(store, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    return sorted(tuple(r[c] for c in ACTIVITY_COLUMNS if c != "activity_id") for r in rows)


def test_capturing_an_org_files_activity_where_the_truth_says(db_url: str, org: Path) -> None:
    store = load(db_url, org)
    stats = capture(store, org_sources(org, "US"))
    assert stats.stored > 1000 and stats.quarantined == 0
    assert stats.read == stats.stored + stats.merged + sum(stats.dropped.values()) + stats.skipped
    ev = evaluate_association(store, org / "truth")
    account, opportunity = ev.scores["account"], ev.scores["opportunity"]
    assert account.precision is not None and account.precision >= 0.99
    # Floors for this small org (the targets, 0.98 / 0.90 on the default org, are measured by
    # `rightturn evaluate association`; see the README): they catch a regression.
    assert opportunity.precision is not None and opportunity.precision >= 0.90
    assert opportunity.recall is not None and opportunity.recall >= 0.85
    assert ev.noise_dropped / ev.noise >= 0.98  # newsletters, auto-replies, internal, personal
    assert ev.sales_dropped / (ev.activities - ev.noise) <= 0.03


def test_a_second_run_stores_nothing_twice(tmp_path: Path, org: Path) -> None:
    store = load(f"sqlite:///{tmp_path / 'x.db'}", org)
    capture(store, org_sources(org, "US"))
    before = snapshot(store)
    again = capture(store, org_sources(org, "US"))
    assert again.stored == 0
    assert snapshot(store) == before


def test_export_has_the_contract_columns(tmp_path: Path, org: Path) -> None:
    store = load(f"sqlite:///{tmp_path / 'x.db'}", org)
    capture(store, org_sources(org, "US"))
    out = io.StringIO()
    n = export_activities(store, out)
    header = out.getvalue().splitlines()[0]
    assert header == (
        "activity_id,kind,source,source_id,occurred_at,direction,rep_id,contact_id,"
        "account_id,opportunity_id,status,confidence,reason"
    )
    with store.session() as s:
        assert n == s.scalar(select(func.count()).select_from(Activity))


def test_killing_a_capture_mid_run_and_rerunning_equals_one_clean_run(
    tmp_path: Path, org: Path
) -> None:
    clean = load(f"sqlite:///{tmp_path / 'clean.db'}", org)
    capture(clean, org_sources(org, "US"))
    url = f"sqlite:///{tmp_path / 'crashed.db'}"
    crashed = load(url, org)
    env = {**os.environ, "RIGHTTURN_CAPTURE_BATCH": "200"}
    cmd = [sys.executable, "-m", "rightturn", "capture", "org", str(org), "--db", url]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kill it once some batches are committed, mid-run
        with crashed.session() as s:
            if (s.scalar(select(func.count()).select_from(Activity)) or 0) > 500:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with crashed.session() as s:
        partial = s.scalar(select(func.count()).select_from(Activity)) or 0
    assert 0 < partial < len(snapshot(clean)), "the kill should land mid-run"
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert snapshot(crashed) == snapshot(clean)


def test_reassociating_without_any_change_moves_nothing(tmp_path: Path, org: Path) -> None:
    from rightturn.associate.rerun import reassociate

    store = load(f"sqlite:///{tmp_path / 'x.db'}", org)
    capture(store, org_sources(org, "US"))
    before = snapshot(store)
    assert sum(reassociate(store).values()) == 0
    assert snapshot(store) == before
