"""`make bench`: every benchmark, one after the other, printing figures (asserting nothing).

    python benchmarks/run.py [--reps 1000] [--months 12]

1. the simulator at scale (wall time, emails, peak RSS of the simulating process);
2. the CRM import of that org into SQLite and PostgreSQL (first run and a repeated one);
3. `rightturn metrics --json` on that org (CRM imported into SQLite and PostgreSQL);
4. API and panel latency (p50/p95 per endpoint and role) with that org imported and captured;
5. capture throughput, mailboxes to stored activity, on a 100-rep org and the Enron sample;
6. the sales process inspection and deal conformance, and Return-on-Effort, each on a 100-rep,
   6-month org against its truth.

The simulated org (several GiB at 1,000 reps) is written to a temporary folder and deleted.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="rightturn-bench-"))
    org = scratch / "org"
    size = ["--reps", str(args.reps), "--months", str(args.months)]
    try:
        print(f"== simulate: {args.reps} reps x {args.months} months", flush=True)
        subprocess.run(
            [sys.executable, HERE / "bench_simulate.py", *size, "--out", org], check=True
        )
        print("== import crm", flush=True)
        subprocess.run([sys.executable, HERE / "bench_import.py", "--org", org], check=True)
        print("== rightturn metrics --json", flush=True)
        subprocess.run([sys.executable, HERE / "bench_metrics.py", "--org", org], check=True)
        print("== API latency", flush=True)
        subprocess.run([sys.executable, HERE / "bench_api.py", "--org", org], check=True)
        shutil.rmtree(org, ignore_errors=True)
        print("== capture (100 reps x 12 months)", flush=True)
        subprocess.run([sys.executable, HERE / "bench_capture.py", "--reps", "100"], check=True)
        print("== inspection and conformance (100 reps x 6 months)", flush=True)
        subprocess.run([sys.executable, HERE / "bench_inspect.py"], check=True)
        print("== Return-on-Effort (100 reps x 6 months)", flush=True)
        subprocess.run([sys.executable, HERE / "bench_effort.py"], check=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
