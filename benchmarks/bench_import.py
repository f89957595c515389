"""Import speed: the canonical CRM import of a simulated org, into SQLite and PostgreSQL.

    python benchmarks/bench_import.py [--reps 1000] [--months 12] [--org DIR]

Prints rows/s and wall time for a first import and for a repeated one (which must change
nothing). Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from pgschema import temp_schema

from rightturn.crm.imports import import_crm
from rightturn.crm.store import Store
from rightturn.simulate import simulate_org


def bench(url: str, label: str, crm: Path) -> None:
    store = Store.open(url)
    for attempt in ("first import", "repeat import"):
        start = time.perf_counter()
        report = import_crm(store, crm)
        took = time.perf_counter() - start
        t = report.totals
        print(
            f"{label:10} {attempt:14} {t.read:>9,} rows in {took:7.1f} s "
            f"({t.read / took:>8,.0f} rows/s) created {t.created:,} updated {t.updated:,}",
            flush=True,
        )
    store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--org", type=Path, help="an existing simulated org (skips simulating)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rt-bench-import-"))
    try:
        org = args.org
        if org is None:
            org = work / "org"
            print(f"simulating {args.reps} reps x {args.months} months ...", flush=True)
            simulate_org(org, seed=7, reps=args.reps, months=args.months, end=date(2026, 6, 30))
        bench(f"sqlite:///{work / 'bench.db'}", "sqlite", org / "crm")
        with temp_schema() as pg:
            if pg:
                bench(pg, "postgresql", org / "crm")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
