"""Benchmark the demo-org simulator: wall time, throughput, output size and peak memory.

    python benchmarks/bench_simulate.py [--reps 1000] [--months 12] [--out DIR]

The simulation runs in a child process so its peak RSS is measured alone. Prints figures;
asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def _run(out: str, reps: int, months: int, seed: int, conn) -> None:
    from rightturn.simulate import simulate_org

    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 10 or done == total:
            last[0] = now
            print(f"  {done}/{total} reps", file=sys.stderr, flush=True)

    s = simulate_org(Path(out), seed=seed, reps=reps, months=months, end=date(2025, 6, 30),
                     progress=progress)  # fmt: skip
    conn.send({k: str(v) if not isinstance(v, int) else v for k, v in vars(s).items()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--out", type=Path, default=None, help="kept afterwards; default: a temporary dir, deleted"
    )
    args = parser.parse_args(argv)
    scratch = None if args.out else Path(tempfile.mkdtemp(prefix="rightturn-bench-"))
    out = args.out or scratch / "org"

    parent, child = mp.Pipe()
    proc = mp.get_context("fork").Process(
        target=_run, args=(str(out), args.reps, args.months, args.seed, child)
    )
    t0 = time.perf_counter()
    proc.start()
    summary = parent.recv()
    proc.join()
    wall = time.perf_counter() - t0
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    mail_bytes = sum(p.stat().st_size for p in (out / "mail").glob("*.mbox"))
    total_bytes = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())

    figures = {
        "reps": args.reps,
        "months": args.months,
        "wall_s": round(wall, 1),
        "emails_distinct": summary["emails"],
        "mailbox_messages": summary["mailbox_messages"],
        "messages_per_s": round(summary["mailbox_messages"] / wall),
        "emails_per_s": round(summary["emails"] / wall),
        "opportunities": summary["opportunities"],
        "calls": summary["calls"],
        "meetings": summary["meetings"],
        "mailbox_mib": round(mail_bytes / 2**20, 1),
        "output_mib": round(total_bytes / 2**20, 1),
        "peak_rss_mib": round(peak_kib / 1024, 1),
    }
    print(json.dumps(figures, indent=2))
    if scratch is not None:  # the output of a 1,000-rep run is several GiB
        shutil.rmtree(scratch, ignore_errors=True)
    return proc.exitcode or 0


if __name__ == "__main__":
    sys.exit(main())
