"""Which template an email came from, found from its text: near-duplicate clustering.

Reps send the same few messages with a name and a company swapped in, a sentence edited here
and there. Two emails are of one template when the word 4-grams of their text — lower-cased,
digits as ``#``, the buyer's first name and company taken out — overlap by at least
:data:`SIMILAR` (Jaccard). The overlap is estimated by MinHash (:data:`PERMUTATIONS` hashes) and
candidate pairs are found by banding (locality-sensitive hashing), so clustering stays near
linear in the number of emails; each pair found is checked on its signatures before it joins
two clusters. A cluster of fewer than :data:`MIN_USES` emails is no template (a one-off), and
each template is named by its most common subject (``Re:``/``Fwd:`` removed) and its size rank.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter, defaultdict

import numpy as np

__all__ = ["MIN_USES", "PERMUTATIONS", "SIMILAR", "cluster_templates", "template_names"]

SIMILAR = 0.5
PERMUTATIONS = 64
# 16 bands of 4 rows: a pair at Jaccard 0.5 is a candidate with probability 1-(1-0.5^4)^16 = 0.64,
# at 0.7 with 0.99; a template's emails join through many pairs, so clusters still connect.
BANDS = 16
MIN_USES = 5
# Words of the body (after the greeting) compared: a template's opening is its own, while long
# templates often share paragraphs (the same product blurbs) that would join them.
OPENING = 60
_ROWS = PERMUTATIONS // BANDS
_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(20261129)
_A = _rng.integers(1, _PRIME, PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, _PRIME, PERMUTATIONS, dtype=np.uint64)
_WORD = re.compile(r"[a-z#'’]+")
_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|sv)\s*:\s*)+", re.IGNORECASE)
_MASK = np.uint64((1 << 32) - 1)
_DIGITS = str.maketrans("0123456789", "##########")


def _shingles(text: str, names: set[str]) -> np.ndarray:
    body = text.split("\n", 1)[1] if "\n" in text else text
    lines = body.strip().split("\n", 1)
    if len(lines) > 1 and len(lines[0]) < 40:  # a greeting line ("Hi Dana,") names no template
        body = lines[1]
    words = _WORD.findall(body.lower().translate(_DIGITS))[:OPENING]
    drop = {part for n in names for part in n.split()}
    words = [w for w in words if w not in drop]
    if len(words) < 4:
        grams = [" ".join(words)] if words else []
    else:
        grams = [" ".join(words[i : i + 4]) for i in range(len(words) - 3)]
    return np.array(sorted({zlib.crc32(g.encode()) for g in grams}), dtype=np.uint64)


def _signature(shingles: np.ndarray) -> np.ndarray:
    if not len(shingles):
        return np.full(PERMUTATIONS, np.iinfo(np.uint64).max, dtype=np.uint64)
    # (a*x + b) mod 2^32 on 32-bit values: cheap universal hashing, exact in uint64 arithmetic.
    hashed = (np.outer(_A & _MASK, shingles) + (_B & _MASK)[:, None]) & _MASK
    return hashed.min(axis=1)


def cluster_templates(texts: dict[int, tuple[str, set[str]]]) -> dict[int, str]:
    """Each email id's template name (``"T1: <subject>"``, the most used first), for emails of a
    template used at least :data:`MIN_USES` times; one-offs are left out. ``texts`` maps an id
    to (subject + body, the names to take out)."""
    ids = list(texts)
    if not ids:
        return {}
    signatures = np.stack([_signature(_shingles(*texts[i])) for i in ids])
    parent = list(range(len(ids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for band in range(BANDS):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        part = signatures[:, band * _ROWS : (band + 1) * _ROWS]
        for row, key in enumerate(part):
            buckets[key.tobytes()].append(row)
        for rows in buckets.values():
            first = rows[0]
            for other in rows[1:]:
                a, b = root(first), root(other)
                if a != b and np.mean(signatures[first] == signatures[other]) >= SIMILAR:
                    parent[b] = a
    groups: dict[int, list[int]] = defaultdict(list)
    for row in range(len(ids)):
        groups[root(row)].append(row)
    kept = sorted((g for g in groups.values() if len(g) >= MIN_USES), key=len, reverse=True)
    names = template_names([[texts[ids[r]][0] for r in g] for g in kept])
    return {ids[r]: name for g, name in zip(kept, names, strict=True) for r in g}


def _opening(text: str) -> str:
    body = text.split("\n", 1)[1] if "\n" in text else text
    lines = [line for line in body.strip().split("\n") if line.strip()]
    if len(lines) > 1 and len(lines[0]) < 40:
        lines = lines[1:]
    return " ".join((lines[0] if lines else "").split()[:6])


def template_names(groups: list[list[str]]) -> list[str]:
    """A readable name per group of texts (subject line first): its rank and its most common
    subject, with its most common opening words when an earlier group has that subject."""
    out, used = [], set()
    for rank, texts in enumerate(groups, start=1):
        subjects = Counter(_PREFIX.sub("", t.split("\n", 1)[0]).strip() for t in texts)
        name = subjects.most_common(1)[0][0][:60] or "(no subject)"
        if name in used:
            opening = Counter(_opening(t) for t in texts).most_common(1)[0][0]
            name = f"{name} / {opening}…"
        used.add(name)
        out.append(f"T{rank}: {name}")
    return out
