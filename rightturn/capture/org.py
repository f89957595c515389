"""The capture sources of a simulated org's folder (``rightturn simulate --out DIR``)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from rightturn.capture.calls import CallLogSource
from rightturn.capture.ics import IcsSource
from rightturn.capture.items import Source
from rightturn.capture.mailfiles import mail_sources
from rightturn.errors import ConfigError


def org_sources(folder: Path, region: str) -> list[Source]:
    """The sources of a simulated org's folder, in a sensible order (mail, calls, meetings)."""
    mboxes = sorted((folder / "mail").glob("*.mbox"))
    if not mboxes:
        raise ConfigError(f"{folder}/mail has no .mbox files: is {folder} a simulated org?")
    sources: list[Source] = list(mail_sources(mboxes, "mbox"))
    if (folder / "calls" / "calls.csv").is_file():
        sources.append(CallLogSource(folder / "calls" / "calls.csv", region=region))
    calendars = folder / "calendar"
    if calendars.is_dir():
        sources.append(IcsSource(calendars, window=_org_window(folder)))
    return sources


def _org_window(folder: Path) -> tuple[date, date] | None:
    meta = folder / "simulation.json"
    if not meta.is_file():
        return None
    info = json.loads(meta.read_text())
    try:
        return date.fromisoformat(info["start"]), date.fromisoformat(info["end"])
    except (KeyError, ValueError):
        return None
