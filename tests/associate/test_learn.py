"""Learning an org's association weights from its review decisions.

A person (here: a persona who files review items by the simulator's truth) files half of the
review queue; re-association with weights learned from those decisions must file more of the
*rest* correctly than the hand-set rules do, on an org whose ties the learned evidence breaks,
and must not start guessing on an org where that evidence is a coin toss.
"""

from __future__ import annotations

import csv
import random
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from rightturn.associate.evaluate import evaluate_association
from rightturn.associate.learn import MIN_DECISIONS, Group, TooFewDecisions, fit, learn
from rightturn.associate.rerun import reassociate
from rightturn.associate.review import resolve, review_queue
from rightturn.associate.weights import FEATURES
from rightturn.capture.org import org_sources
from rightturn.capture.pipeline import capture
from rightturn.cli import app
from rightturn.crm.imports import import_crm
from rightturn.crm.model import Activity
from rightturn.crm.store import Store
from rightturn.simulate import simulate_org


def _vector(**on: bool) -> list[float]:
    return [float(on.get(f, False)) for f in FEATURES]


def _ties(reliable: float, n: int = 400, seed: int = 1) -> list[Group]:
    """Two deals whose buying groups share the contact; the contact's latest activity was filed
    under one of them, and that one is the deal in ``reliable`` of the cases."""
    rng = random.Random(seed)
    groups = []
    for _ in range(n):
        recent, other = _vector(role=True, owner=True, recent=True), _vector(role=True, owner=True)
        groups.append(Group([recent, other], 0 if rng.random() < reliable else 1, 5.0))
    # and the cases the rules settle: one deal has the contact, the other does not
    for _ in range(n):
        groups.append(Group([_vector(role=True, owner=True), _vector(owner=True)], 0, 1.0))
    return groups


def _tie_probability(reliable: float) -> float:
    weights = fit(_ties(reliable), decisions=400).weights
    found = weights.scores_vectors(
        [_vector(role=True, owner=True, recent=True), _vector(role=True, owner=True)]
    )
    return found[0]


def test_an_org_whose_latest_activity_decides_ties_learns_to_link_them() -> None:
    assert _tie_probability(0.97) >= 0.8


def test_an_org_where_it_is_a_coin_toss_keeps_asking_a_person() -> None:
    assert _tie_probability(0.6) < 0.8


def test_learned_scores_are_probabilities_of_one_choice() -> None:
    weights = fit(_ties(0.9), decisions=400).weights
    scores = weights.scores_vectors([_vector(role=True, owner=True), _vector(owner=True)])
    assert all(0 < s < 1 for s in scores) and sum(scores) < 1  # the rest is "none of them"
    assert scores[0] > 0.8 > 0.2 > scores[1]


def test_too_few_decisions_say_what_to_do() -> None:
    with pytest.raises(TooFewDecisions, match="rightturn review"):
        fit(_ties(0.9, n=5), decisions=MIN_DECISIONS - 1)


# --- on a simulated org ------------------------------------------------------------------


def _org(tmp_path: Path, style: str) -> tuple[Store, Path]:
    folder = tmp_path / "org"
    simulate_org(folder, seed=7, reps=6, months=6, end=date(2026, 6, 30), style=style)
    db = f"sqlite:///{tmp_path / 'org.db'}"
    store = Store.open(db)
    import_crm(store, folder / "crm")
    capture(store, org_sources(folder, "US"))
    return store, folder


def _file_every_other_review_item(store: Store, folder: Path) -> int:
    """A person files half of the queue, each as the truth says."""
    with (folder / "truth" / "activities.csv").open(newline="") as f:
        truth = {(r["kind"], r["source_id"]): r for r in csv.DictReader(f)}
    with store.session() as s:
        waiting = s.execute(
            select(Activity.activity_id, Activity.kind, Activity.source_id)
            .where(Activity.status == "needs_review")
            .order_by(Activity.occurred_at, Activity.activity_id)
        ).all()
    filed = 0
    for ident, kind, source_id in waiting[::2]:
        with store.session() as s:
            if s.get(Activity, ident).manual:  # type: ignore[union-attr]
                continue  # filed with an earlier item's thread
        opp = truth[(kind, source_id)]["opportunity_id"]
        if opp in ("", "none"):
            resolve(store, ident, account_only=True)
        else:
            resolve(store, ident, opportunity_id=opp)
        filed += 1
    return filed


@pytest.mark.slow
def test_review_decisions_improve_a_rerun_on_the_rest(tmp_path: Path) -> None:
    store, folder = _org(tmp_path, "classic")
    assert _file_every_other_review_item(store, folder) >= MIN_DECISIONS
    reassociate(store)  # the hand-set rules, with the decisions in place
    before = evaluate_association(store, folder / "truth")
    assert before.learned_from is None and before.people_filed > 0

    result = CliRunner().invoke(
        app, ["associate", "--learn", "--db", str(store.url)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "Learned from" in result.output and "recent" in result.output

    after = evaluate_association(store, folder / "truth")
    assert after.learned_from is not None and after.learned_from >= MIN_DECISIONS
    # Judged on what nobody filed by hand: more of it found, no less precisely, and less left
    # for a person.
    assert after.automatic.recall >= before.automatic.recall + 0.01, (before, after)  # type: ignore[operator]
    assert after.automatic.precision >= 0.98  # type: ignore[operator]
    assert after.deal_review < before.deal_review
    # The queue's suggestions are probabilities now, and say so.
    assert review_queue(store, limit=1).scores_are_probabilities

    result = CliRunner().invoke(app, ["associate", "--forget", "--db", str(store.url)])
    assert result.exit_code == 0, result.output
    again = evaluate_association(store, folder / "truth")
    assert again.learned_from is None
    assert again.automatic == before.automatic


@pytest.mark.slow
def test_learning_does_not_start_guessing_where_ties_are_a_coin_toss(tmp_path: Path) -> None:
    store, folder = _org(tmp_path, "multi-deal")
    _file_every_other_review_item(store, folder)
    reassociate(store)
    before = evaluate_association(store, folder / "truth")
    learn(store)
    reassociate(store)
    after = evaluate_association(store, folder / "truth")
    assert after.automatic.precision >= 0.98  # type: ignore[operator]
    assert after.automatic.recall >= before.automatic.recall - 0.005  # type: ignore[operator]


def test_learning_with_no_decisions_is_refused_with_the_next_step(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'empty.db'}")
    result = CliRunner().invoke(app, ["associate", "--learn", "--db", str(store.url)])
    assert result.exit_code == 2
    assert "rightturn review" in result.output
