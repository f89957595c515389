"""The labelled sales emails the focus classifier learns from and is measured on.

``corpus/part-*.jsonl`` hold 240 B2B sales emails written for this purpose by three writers
working apart (part a, b, c), none of whom saw our simulator's templates or the classifier:
over 40 invented personas (non-native writers, British and American spelling, SDRs to founders),
over 50 seller industries, every kind of touch (first, follow-up, break-up, meeting request,
recap, proposal, renewal), 15 to 400 words, each labelled ``issue`` or ``product`` by its writer,
the mixed ones marked ``hard``. The writers were told not to let length or question marks give
the label away. Each line: ``id`` (its writer's letter first), ``author`` (the persona),
``industry``, ``touch``, ``subject``, ``body``, ``focus``, ``hard``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["CORPUS", "labelled_emails"]

CORPUS = Path(__file__).parent / "corpus"


def labelled_emails(folder: Path = CORPUS) -> list[dict[str, Any]]:
    """Every labelled email of the corpus, writer by writer."""
    out = []
    for part in sorted(folder.glob("part-*.jsonl")):
        with part.open(encoding="utf-8") as f:
            out += [json.loads(line) for line in f if line.strip()]
    return out
