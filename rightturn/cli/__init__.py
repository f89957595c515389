"""The ``rightturn`` command line.

Each command parses its flags, calls one domain function, and renders the result; errors are
translated to a message and exit code 2 in one place (:func:`rightturn.cli.common.errors`).
Commands live by domain: ``crm`` (init, import, summary, simulate, demo) and ``capture``
(capture, review, activities, evaluate, blocklist), ``web`` (serve, users), ``zones``
(org timezone, users timezone), ``process`` (check, apply, show, list, compare) and
``disposition``.
"""

from __future__ import annotations

from rightturn.cli import (  # noqa: F401  (importing registers their commands)
    analytics,
    capture,
    coach,
    crm,
    dispositions,
    effort,
    process,
    process_compare,
    process_inspect,
    today,
    web,
    zones,
)
from rightturn.cli.common import app

__all__ = ["app"]
