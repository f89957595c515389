"""The evidence that ties an activity to one opportunity, and how much each piece weighs.

Every candidate (an opportunity open at the account when the activity happened) gets the same
yes/no features, so the rules can be read — and learned — the same way on any org:

- ``role``: a participating contact is in its buying group (holds a contact role on it);
- ``owner``: its owner took part (sent, received, called, organised or attended);
- ``only``: it is the only opportunity open at the account then;
- ``product_subject`` / ``product_body``: its product is named in the subject / the body;
- ``other_product``: the activity names another product and not this one (evidence against);
- ``recent``: the contact's latest filed activity (within 21 days) was filed under it;
- ``most_roles``: several deals' buying groups took part, and more of its own than of any other's
  (a meeting with three of one deal's contacts and one of another's).

Content adds evidence and can speak against a deal, but it is never required: reps rarely name
the product in a follow-up. The default weights are the hand-set rules below; an org's own review
decisions can replace them with a choice model over the same features
(:mod:`rightturn.associate.learn`), whose scores are probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Protocol

FEATURES = (
    "role", "owner", "only", "product_subject", "product_body", "other_product", "recent",
    "most_roles",
)  # fmt: skip


class Candidate(Protocol):
    """What is scored: one candidate deal's evidence (engine.Evidence)."""

    def vector(self) -> list[float]: ...


@dataclass(frozen=True)
class Weights:
    """Feature weights and the thresholds that turn a score into link, review or none.

    Hand-set (``learned=False``) scores are sums on an ad-hoc scale; learned ones are
    probabilities (a conditional logit, see :meth:`scores`), with thresholds on that scale.
    """

    role: float = 0.45
    owner: float = 0.25
    only: float = 0.1
    product_subject: float = 0.35
    product_body: float = 0.15
    other_product: float = -1.0
    recent: float = 0.2
    most_roles: float = 0.3
    bias: float = 0.0
    link_at: float = 0.6  # lowest score that may link an opportunity
    margin: float = 0.25  # how far ahead of the runner-up it must be
    review_at: float = 0.45  # evidence this strong for several opportunities calls for a person
    floor: float = 0.0  # the score of no evidence at all
    learned: bool = False
    trained_on: int = 0  # decisions the weights were learned from

    def scores(self, candidates: Sequence[Candidate]) -> list[float]:
        """One score per candidate deal.

        Hand-set: the sum of its evidence's weights. Learned: the probability that the activity
        is about it, from a choice among the candidates and "none of them" (a conditional logit:
        each deal's utility is ``bias`` plus its evidence's weights, "none" has utility 0), so
        the scores of one activity add up to at most 1.
        """
        return self.scores_vectors([ev.vector() for ev in candidates])

    def scores_vectors(self, vectors: list[list[float]]) -> list[float]:
        """:meth:`scores` of candidates given as feature vectors (in :data:`FEATURES` order)."""
        coef = [getattr(self, f) for f in FEATURES]
        raw = [self.bias + sum(w * x for w, x in zip(coef, v, strict=True)) for v in vectors]
        if not self.learned:
            return raw
        top = max([0.0, *raw])
        exp = [math.exp(u - top) for u in raw]
        total = math.exp(-top) + sum(exp)
        return [e / total for e in exp]

    def confidence(self, score: float) -> float:
        """The stored confidence of a decision scored ``score``."""
        if self.learned:
            return round(score, 2)
        return round(min(0.95, max(0.0, 0.4 + score / 2)), 2)

    @classmethod
    def from_dict(cls, stored: dict[str, object]) -> Weights:
        """Weights as stored by :meth:`as_dict` (keys this version does not know are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in stored.items() if k in names})  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, float | bool | int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


DEFAULT = Weights()
