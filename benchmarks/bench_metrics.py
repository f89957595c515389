"""`rightturn metrics --json` at scale: wall time of the whole command, and of each analysis.

    python benchmarks/bench_metrics.py --db URL [--db URL ...] [--as-of DATE] [--runs 3]
    python benchmarks/bench_metrics.py --org DIR [--no-postgres]

``--db`` times already populated databases; ``--org`` imports a simulated org's CRM (its mail is
not needed: metrics read the CRM history) into a temporary SQLite database and, unless
``--no-postgres``, a throwaway PostgreSQL schema. The command runs as a child process, as a user
runs it (interpreter start and imports included); then each section is timed in-process. Target:
under 5 s on the 1,000-rep org. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from pgschema import temp_schema


def _command(url: str, as_of: str | None, runs: int) -> list[float]:
    cmd = [sys.executable, "-m", "rightturn", "metrics", "--db", url, "--json"]
    if as_of:
        cmd += ["--as-of", as_of]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"rightturn metrics failed on {url}:\n{done.stderr}")
    return times


def _sections(url: str, as_of: str | None) -> dict[str, float]:
    from datetime import date

    from rightturn.analytics.flow import flow, waterfall
    from rightturn.analytics.health import integrity, velocity
    from rightturn.analytics.metrics import pipeline_metrics
    from rightturn.analytics.performers import pareto, prospecting_need
    from rightturn.analytics.snapshot import as_of_datetime, load_snapshot
    from rightturn.crm.scope import Scope
    from rightturn.crm.store import Store

    store = Store.open(url)
    when = as_of_datetime(date.fromisoformat(as_of) if as_of else None)
    out: dict[str, float] = {}
    with store.session() as s:
        start = time.perf_counter()
        snap = load_snapshot(s, Scope.everything(), when)
        out["load snapshot"] = time.perf_counter() - start
        for name, run in (
            ("pipeline metrics", lambda: pipeline_metrics(snap)),
            ("integrity", lambda: integrity(s, snap, limit=100)),
            ("velocity", lambda: velocity(s, snap, limit=100)),
            ("flow", lambda: flow(snap)),
            ("waterfall", lambda: waterfall(s, Scope.everything(), snap=snap)),
            ("prospecting", lambda: prospecting_need(snap)),
            ("pareto", lambda: pareto(s, snap)),
        ):
            start = time.perf_counter()
            run()
            out[name] = time.perf_counter() - start
    store.close()
    return out


def _size(url: str) -> str:
    from sqlalchemy import func, select

    from rightturn.crm.model import Activity, Opportunity, Rep, StageChange
    from rightturn.crm.store import Store

    store = Store.open(url)
    with store.session() as s:
        counts = [
            s.scalar(select(func.count()).select_from(m))
            for m in (Rep, Opportunity, StageChange, Activity)
        ]
    store.close()
    return "{:,} reps, {:,} opportunities, {:,} stage changes, {:,} activities".format(*counts)


def measure(label: str, url: str, as_of: str | None, runs: int) -> None:
    print(f"{label}: {_size(url)}", flush=True)
    times = _command(url, as_of, runs)
    print(
        f"  rightturn metrics --json: median {statistics.median(times):.2f} s, "
        f"min {min(times):.2f} s over {runs} runs (target < 5 s)",
        flush=True,
    )
    for name, took in _sections(url, as_of).items():
        print(f"    {name:18} {took:6.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", default=[], help="A populated database URL.")
    parser.add_argument("--org", type=Path, help="A simulated org folder to import first.")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--as-of", help="The date to compute as of (default: today).")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not args.db and not args.org:
        parser.error("give --db URL or --org DIR")
    for url in args.db:
        measure(url.split("?")[0], url, args.as_of, args.runs)
    if args.org:
        from rightturn.crm.imports import import_crm
        from rightturn.crm.store import Store

        with ExitStack() as stack:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rt-metrics-")))
            targets = [("sqlite", f"sqlite:///{work / 'm.db'}")]
            if not args.no_postgres:
                pg = stack.enter_context(temp_schema())
                if pg:
                    targets.append(("postgresql", pg))
            for label, url in targets:
                store = Store.open(url)
                start = time.perf_counter()
                import_crm(store, args.org / "crm")
                store.close()
                print(
                    f"{label}: imported the CRM in {time.perf_counter() - start:.0f} s", flush=True
                )
                measure(label, url, args.as_of, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
