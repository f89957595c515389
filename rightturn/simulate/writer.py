"""The output tree: CSV files opened once and written row by row, plus the marker file."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

from rightturn.errors import ConfigError

MARKER = "simulation.json"  # present in every output dir this package wrote
SUBDIRS = ("crm", "mail", "calls", "calendar", "truth")

HEADERS = {
    "crm/reps.csv": ["rep_id", "name", "emails", "phones", "team", "manager_id", "quota"],
    "crm/accounts.csv": [
        "account_id", "name", "domains", "industry", "segment", "parent_account_id",
    ],
    "crm/contacts.csv": ["contact_id", "account_id", "name", "emails", "phones", "title"],
    "crm/opportunities.csv": [
        "opportunity_id", "account_id", "owner_rep_id", "name", "product", "amount", "stage",
        "status", "created_at", "close_date", "closed_at", "forecast_category", "contact_ids",
    ],
    "crm/stage_history.csv": ["opportunity_id", "stage", "entered_at"],
    "crm/opportunity_history.csv": [
        "opportunity_id", "field", "old_value", "new_value", "changed_at",
    ],
    "crm/products.csv": ["product", "series", "list_price"],
    "calls/calls.csv": [
        "call_id", "started_at", "from_number", "to_number", "direction", "duration_s",
        "outcome",
    ],
    "truth/activities.csv": [
        "kind", "source_id", "rep_id", "occurred_at", "category", "direction", "contact_id",
        "account_id", "opportunity_id", "style", "template", "responds_to", "buyer_action",
    ],
    "truth/reps.csv": [
        "rep_id", "skill", "effort", "brief_share", "won_revenue", "is_top20", "stage_sloppiness",
    ],
    "truth/opportunities.csv": [
        "opportunity_id", "qualified", "multithreaded", "stalled", "slips", "win_probability",
        "outcome", "skipped_stage", "moved_back",
    ],
    "truth/sequences.csv": ["rep_id", "contact_id", "touches", "replied"],
}  # fmt: skip


def prepare(out_dir: Path) -> None:
    """Create `out_dir`, or clear a previous simulation's output in it.

    Refuses (ValueError) a file, or a non-empty directory this package did not write, so a
    typo in --out cannot wipe someone's data.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"out_dir {out_dir} exists and is not a directory; choose another path")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not (out_dir / MARKER).is_file():
            raise ConfigError(
                f"out_dir {out_dir} is not empty and holds no previous simulation "
                f"({MARKER} missing); choose an empty or new directory"
            )
        for sub in SUBDIRS:
            shutil.rmtree(out_dir / sub, ignore_errors=True)
        (out_dir / MARKER).unlink()
    for sub in SUBDIRS:
        (out_dir / sub).mkdir(parents=True, exist_ok=True)


class Tables:
    """Every CSV of the output, open for appending rows in generation order."""

    def __init__(self, out_dir: Path) -> None:
        self._files = {}
        self._writers: dict[str, Any] = {}
        for rel, header in HEADERS.items():
            f = open(out_dir / rel, "w", newline="", encoding="utf-8")  # noqa: SIM115
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            self._files[rel] = f
            self._writers[rel] = w

    def row(self, rel: str, values: list[Any]) -> None:
        self._writers[rel].writerow(values)

    def rows(self, rel: str, values: list[list[Any]]) -> None:
        self._writers[rel].writerows(values)

    def close(self) -> None:
        for f in self._files.values():
            f.close()


def write_marker(out_dir: Path, summary: dict[str, Any]) -> None:
    """Mark the directory as simulation output (and record what was generated)."""
    text = json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n"
    (out_dir / MARKER).write_text(text, encoding="utf-8")
