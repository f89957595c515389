"""A simulated org imported and captured into a temporary SQLite database: the setting of the
benchmarks that measure a reading of captured activity against the simulator's truth."""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any


def org_arguments(description: str) -> argparse.Namespace:
    """``--reps``, ``--months``, ``--seed`` and ``--end``, parsed."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--end", default="2026-06-30", help="the simulated org's last day")
    return parser.parse_args()


@contextmanager
def captured_org(args: argparse.Namespace, prefix: str) -> Iterator[tuple[Path, Any, datetime]]:
    """(the org's folder, an open store holding it, the moment after its last day); the folder
    and database are deleted on leaving."""
    from rightturn.capture.org import org_sources
    from rightturn.capture.pipeline import capture
    from rightturn.crm.imports import import_crm
    from rightturn.crm.store import Store
    from rightturn.simulate import simulate_org

    end = date.fromisoformat(args.end)
    after = datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC)
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        root = Path(folder)
        started = time.perf_counter()
        simulate_org(root / "org", seed=args.seed, reps=args.reps, months=args.months, end=end)
        store = Store.open(f"sqlite:///{root / 'org.db'}")
        import_crm(store, root / "org" / "crm")
        capture(store, org_sources(root / "org", "US"))
        print(f"org: {args.reps} reps x {args.months} months, seed {args.seed}, built in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        try:
            yield root / "org", store, after
        finally:
            store.close()
