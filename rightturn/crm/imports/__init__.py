"""CRM imports: read a folder of CSV files, load it into the store, report what happened."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rightturn.crm.imports.batch import CrmBatch, Progress, load_batch
from rightturn.crm.imports.canonical import read_canonical
from rightturn.crm.imports.maven import read_maven
from rightturn.crm.imports.report import FileCounts, ImportReport, Problem
from rightturn.crm.store import Store

__all__ = [
    "CrmBatch",
    "FileCounts",
    "ImportReport",
    "Problem",
    "import_crm",
    "import_maven",
]


def import_crm(
    store: Store,
    folder: Path,
    *,
    phone_region: str = "US",
    now: datetime | None = None,
    progress: Progress | None = None,
    encoding: str = "utf-8-sig",
) -> ImportReport:
    """Import a folder in the canonical CSV layout (see ``canonical``); upserts by id.

    ``encoding`` is the files' text encoding (UTF-8 by default, with or without a BOM)."""
    batch = read_canonical(folder, phone_region=phone_region, encoding=encoding)
    return load_batch(store, batch, now=now, progress=progress)


def import_maven(
    store: Store, folder: Path, *, now: datetime | None = None, progress: Progress | None = None
) -> ImportReport:
    """Import the Maven Analytics CRM sample (see ``maven``); upserts by id."""
    return load_batch(store, read_maven(folder), now=now, progress=progress)
