"""Capture throughput: mailboxes -> parse -> filter -> dedupe -> associate -> store.

    python benchmarks/bench_capture.py [--reps 100] [--months 12]

Simulates an org (100 reps x 12 months is about 110k distinct emails, 135k mailbox copies),
imports its CRM, then captures only its mailboxes, timing messages per second end to end on one
core, into SQLite and PostgreSQL; then the Enron sample (../shared/data). Each capture runs in a
child process so its peak RSS is its own. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from pgschema import temp_schema

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _capture(url: str, crm: Path | None, mboxes: list[str], conn) -> None:  # type: ignore[no-untyped-def]
    from rightturn.capture.mailfiles import mail_sources
    from rightturn.capture.pipeline import capture
    from rightturn.crm.imports import import_crm
    from rightturn.crm.store import Store

    store = Store.open(url)
    if crm is not None:
        import_crm(store, crm)
    start = time.perf_counter()
    stats = capture(store, mail_sources([Path(m) for m in mboxes], "mbox"))
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    conn.send((stats.read, stats.stored, took, peak))


def run(label: str, url: str, crm: Path | None, mboxes: list[Path]) -> None:
    parent, child = mp.Pipe()
    proc = mp.get_context("fork").Process(
        target=_capture, args=(url, crm, [str(m) for m in mboxes], child)
    )
    proc.start()
    read, stored, took, peak = parent.recv()
    proc.join()
    size = sum(m.stat().st_size for m in mboxes) / 2**20
    print(
        f"{label:28} {read:>9,} messages in {took:6.1f} s = {read / took:>7,.0f} msg/s "
        f"({size / took:5.1f} MiB/s), {stored:,} stored, peak RSS {peak:,.0f} MiB",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    from rightturn.simulate import simulate_org

    work = Path(tempfile.mkdtemp(prefix="rt-bench-capture-"))
    try:
        org = work / "org"
        print(f"simulating {args.reps} reps x {args.months} months ...", flush=True)
        simulate_org(org, seed=7, reps=args.reps, months=args.months, end=date(2026, 6, 30))
        mboxes = sorted((org / "mail").glob("*.mbox"))
        run("simulated org, sqlite", f"sqlite:///{work / 'a.db'}", org / "crm", mboxes)
        with temp_schema() as pg:
            if pg:
                run("simulated org, postgresql", pg, org / "crm", mboxes)
        enron = SHARED / "enron-sample" / "enron_sample_all.mbox"
        if enron.is_file():
            run("enron sample, sqlite", f"sqlite:///{work / 'e.db'}", None, [enron])
        else:
            print(f"enron sample: skipped (not at {enron})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
