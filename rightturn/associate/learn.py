"""Learning an org's association weights from its own review decisions.

Every choice a person makes in the review queue says which of the open deals an activity was
about (or that it was about none of them). Re-association can use those choices: a logistic
regression over the evidence features of :mod:`rightturn.associate.weights` (one row per
candidate deal, labelled 1 for the deal chosen, 0 for the others) learns how much each piece of
evidence counts *in this org* — "the contact's latest activity was filed under it" may decide
almost every case here and few elsewhere.

What it learns from:

- every activity a person filed (``manual``), with the evidence as association saw it then;
- the activities the hand-set rules filed with confidence (scored evidence at 0.9 or more,
  under a deal or, with nothing pointing at one, under the account), so the model keeps what
  the rules already do well; a person's decision counts :data:`PERSON_WEIGHT` times as much.

Its scores are probabilities, so the thresholds are too: a deal is linked at
:data:`LINK_AT` or more with the runner-up :data:`MARGIN` behind; anything from
:data:`REVIEW_AT` still goes to a person. The learned weights are stored per org
(``association_models``) and used by capture and re-association from then on; forgetting them
returns to the hand-set rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete

from rightturn.associate.engine import Decision, ThreadHint, associate
from rightturn.associate.identity import load_index
from rightturn.associate.rerun import replay
from rightturn.associate.weights import DEFAULT, FEATURES, Weights
from rightturn.crm.captured import Captured
from rightturn.crm.model import Activity, AssociationModel
from rightturn.crm.store import Store
from rightturn.errors import RightturnError

# Fewer decisions than this teach nothing a person should trust.
MIN_DECISIONS = 20
PERSON_WEIGHT = 5.0
CONFIDENT = 0.9
LINK_AT = 0.8
MARGIN = 0.0  # the scores add up to at most 1: a deal at LINK_AT leads any other
REVIEW_AT = 0.3
RIDGE = 1.0


class TooFewDecisions(RightturnError):
    """Not enough review decisions to learn from."""


@dataclass(frozen=True)
class Group:
    """One activity's choice: its candidate deals' evidence, and which was chosen (None: none)."""

    candidates: list[list[float]]
    chosen: int | None
    weight: float


@dataclass(frozen=True)
class Learned:
    weights: Weights
    decisions: int  # activities a person filed that had open deals to choose from
    examples: int  # choices learned from, people's and the confident rules'


def collect(store: Store) -> tuple[list[Group], int]:
    """The choices to learn from, and how many of them a person made."""
    with store.session() as s:
        index = load_index(s, filed=False)
    index.weights = DEFAULT
    rows: list[Group] = []
    people = 0

    def decide(activity: Activity, item: Captured, hint: ThreadHint | None) -> Decision | None:
        nonlocal people
        if activity.manual:
            # As association would have seen it without the thread's earlier filing.
            decision = associate(item, index, None)
            chosen = activity.opportunity_id
            ids = {ev.opportunity.opportunity_id for _, ev in decision.scored}
            if decision.scored and (chosen is None or chosen in ids):
                people += 1
                rows.append(_group(decision, chosen, PERSON_WEIGHT))
            return None
        decision = associate(item, index, hint)
        if (
            decision.scored
            and decision.status == "associated"
            and (decision.confidence or 0) >= CONFIDENT
        ):
            rows.append(_group(decision, decision.opportunity_id, 1.0))
        return decision

    replay(store, index, lambda _s, _w: None, decide=decide)
    return rows, people


def _group(decision: Decision, chosen: str | None, weight: float) -> Group:
    ids = [ev.opportunity.opportunity_id for _, ev in decision.scored]
    return Group(
        [ev.vector() for _, ev in decision.scored],
        ids.index(chosen) if chosen in ids else None,
        weight,
    )


def fit(groups: list[Group], decisions: int) -> Learned:
    """A conditional logit over the evidence features, fitted by maximum likelihood.

    Each activity is a choice among its candidate deals and "none of them": a deal's utility is
    ``bias + weights . evidence``, none's is 0, and the chance of each is its softmax. A small
    ridge penalty keeps weights finite when a feature decides every case it appears in.
    """
    import numpy as np
    from scipy.optimize import minimize

    if decisions < MIN_DECISIONS:
        raise TooFewDecisions(
            f"only {decisions} review decisions with deals to choose from; learning needs at "
            f"least {MIN_DECISIONS}: file more of the review queue (`rightturn review`) first"
        )
    rows = [c for g in groups for c in g.candidates]
    x = np.hstack([np.array(rows, dtype=float), np.ones((len(rows), 1))])  # last column: bias
    owner = np.repeat(np.arange(len(groups)), [len(g.candidates) for g in groups])
    chosen = np.zeros(len(rows))
    start = 0
    for g in groups:
        if g.chosen is not None:
            chosen[start + g.chosen] = 1.0
        start += len(g.candidates)
    weight = np.array([g.weight for g in groups])
    penalty = np.full(x.shape[1], RIDGE)
    penalty[-1] = 0.0

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        u = x @ beta
        top = np.maximum(0.0, np.maximum.reduceat(u, _starts(groups)))
        e = np.exp(u - top[owner])
        total = np.exp(-top) + np.bincount(owner, weights=e, minlength=len(groups))
        log_total = top + np.log(total)
        picked = np.bincount(owner, weights=u * chosen, minlength=len(groups))
        nll = float(weight @ (log_total - picked)) + 0.5 * float(penalty @ beta**2)
        p = e / total[owner]
        grad = x.T @ ((p - chosen) * weight[owner]) + penalty * beta
        return nll, grad

    fitted = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B")
    beta = [round(float(b), 4) for b in fitted.x]
    weights = Weights(
        **dict(zip(FEATURES, beta[:-1], strict=True)),
        bias=beta[-1],
        link_at=LINK_AT,
        margin=MARGIN,
        review_at=REVIEW_AT,
        floor=0.0,
        learned=True,
        trained_on=decisions,
    )
    return Learned(weights, decisions, len(groups))


def _starts(groups: list[Group]) -> list[int]:
    out, at = [], 0
    for g in groups:
        out.append(at)
        at += len(g.candidates)
    return out


def learn(store: Store) -> Learned:
    """Learn this org's weights from its review decisions and store them (used from now on)."""
    rows, decisions = collect(store)
    learned = fit(rows, decisions)
    with store.session() as s:
        s.add(
            AssociationModel(
                decisions=learned.decisions,
                examples=learned.examples,
                weights=learned.weights.as_dict(),
            )
        )
    return learned


def forget(store: Store) -> int:
    """Drop the learned weights: association goes back to the hand-set rules."""
    with store.session() as s:
        return s.execute(delete(AssociationModel)).rowcount or 0  # type: ignore[attr-defined]
