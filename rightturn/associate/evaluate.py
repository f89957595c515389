"""``rightturn evaluate association``: stored associations against the simulator's truth.

For each of contact, account and opportunity, over every activity in ``truth/activities.csv``:

- **precision** = activities filed under the true record / activities filed under any record;
- **recall** = activities filed under the true record / activities that truly have one.

An activity that was dropped or never captured counts as filed under nothing. Also reported: the
share of stored activities left for review; of the **deal activities** (those the truth files under
an opportunity), the share waiting for review and the share **silently left at account level**
(stored as associated to the account with no opportunity and no person asked: the failure a
manager never sees); the opportunity score over the activities **no person filed** (what the
engine did by itself: after review decisions, the fair before/after of re-association with
weights learned from them); and how the filters treated the noise (internal mail, newsletters,
auto-replies, personal mail) against real sales activity.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from rightturn.crm.model import Activity, AssociationModel, DroppedItem
from rightturn.crm.store import Store
from rightturn.errors import SourceError

FIELDS = ("contact", "account", "opportunity")
NOISE = frozenset({"internal", "newsletter", "auto_reply", "personal"})


@dataclass(frozen=True)
class Score:
    correct: int
    predicted: int
    actual: int

    @property
    def precision(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.actual if self.actual else None


@dataclass
class Evaluation:
    scores: dict[str, Score]
    activities: int  # rows in the truth
    stored: int  # of those, stored as activities
    needs_review: int
    noise: int
    noise_dropped: int
    sales_dropped: int
    missing: int  # in the truth, neither stored nor dropped
    deal_activities: int = 0  # in the truth, filed under an opportunity
    deal_review: int = 0  # of those, waiting for review
    deal_silent: int = 0  # of those, stored under the account only with nobody asked
    wrong_opportunities: Counter[str] = field(default_factory=Counter)  # reasons of wrong links
    # The opportunity score over the activities no person filed: what the engine did by itself
    # (after review decisions, the fair before/after of re-association with learned weights).
    automatic: Score = field(default_factory=lambda: Score(0, 0, 0))
    people_filed: int = 0  # activities a person filed (review decisions, with their threads)
    learned_from: int | None = None  # decisions the org's weights were learned from; None: hand-set

    @property
    def review_rate(self) -> float | None:
        return self.needs_review / self.stored if self.stored else None

    @property
    def silent_rate(self) -> float | None:
        """Deal activities silently left at account level / deal activities."""
        return self.deal_silent / self.deal_activities if self.deal_activities else None

    @property
    def deal_review_rate(self) -> float | None:
        return self.deal_review / self.deal_activities if self.deal_activities else None


def _value(cell: str | None) -> str | None:
    return None if cell in (None, "", "none") else cell


# What the store holds of one activity: contact, account, opportunity, status, reason, and 1
# when a person filed it.
_Stored = tuple[str | None, str | None, str | None, str, str | None, int]
_Key = tuple[str, str]  # kind, source id


def evaluate_association(store: Store, truth_dir: Path) -> Evaluation:
    """Compare what the store holds with ``truth_dir/activities.csv``."""
    path = _truth_file(truth_dir)
    stored, dropped, learned_from = _stored(store)
    counts = {f: [0, 0, 0] for f in FIELDS}
    automatic = [0, 0, 0]
    ev = Evaluation({}, 0, 0, 0, 0, 0, 0, 0, learned_from=learned_from)
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = (row["kind"], row["source_id"])
            got = stored.get(key)
            _count_capture(ev, row["category"] in NOISE, got, key in dropped)
            truth = (
                _value(row["contact_id"]),
                _value(row["account_id"]),
                _value(row["opportunity_id"]),
            )
            predicted = got[:3] if got else (None, None, None)
            if truth[2] is not None:
                _count_deal_activity(ev, got)
            for name, t, p in zip(FIELDS, truth, predicted, strict=True):
                _tally(counts[name], t, p)
            if got and got[5]:
                ev.people_filed += 1
            else:
                _tally(automatic, truth[2], predicted[2])
            if got and predicted[2] is not None and predicted[2] != truth[2]:
                ev.wrong_opportunities[_rule(got[4] or "")] += 1
    ev.scores = {name: Score(*c) for name, c in counts.items()}
    ev.automatic = Score(*automatic)
    return ev


def _truth_file(truth_dir: Path) -> Path:
    """``activities.csv`` in the truth folder, or in the org's ``truth/`` when given the org."""
    path = truth_dir / "activities.csv"
    if not path.is_file():
        path = truth_dir / "truth" / "activities.csv"
    if not path.is_file():
        raise SourceError(
            f"no truth file at {truth_dir}/activities.csv: give the simulated org's truth/ folder "
            "(written by `rightturn simulate --out DIR`)"
        )
    return path


def _stored(store: Store) -> tuple[dict[_Key, _Stored], set[_Key], int | None]:
    """What the store holds: every activity by kind and source id, the items capture dropped,
    and how many decisions the org's latest learned weights came from (None: hand-set)."""
    with store.session() as s:
        stored = {
            (kind, sid): (contact, account, opp, status, reason, int(bool(manual)))
            for kind, sid, contact, account, opp, status, reason, manual in s.execute(
                select(
                    Activity.kind,
                    Activity.source_id,
                    Activity.contact_id,
                    Activity.account_id,
                    Activity.opportunity_id,
                    Activity.status,
                    Activity.reason,
                    Activity.manual,
                )
            )
        }
        dropped = set(s.execute(select(DroppedItem.kind, DroppedItem.source_id)).tuples().all())
        learned_from = s.scalar(
            select(AssociationModel.decisions).order_by(AssociationModel.model_id.desc()).limit(1)
        )
    return stored, dropped, learned_from


def _count_capture(ev: Evaluation, noise: bool, got: _Stored | None, dropped: bool) -> None:
    """Count one truth row by what capture did with it: stored (and left for review or not),
    dropped (noise or a sales activity), or missing."""
    ev.activities += 1
    ev.noise += noise
    if got is None:
        if dropped:
            ev.noise_dropped += noise
            ev.sales_dropped += not noise
        else:
            ev.missing += 1
    else:
        ev.stored += 1
        ev.needs_review += got[3] == "needs_review"


def _count_deal_activity(ev: Evaluation, got: _Stored | None) -> None:
    """Count one activity the truth files under an opportunity: waiting for review, or silently
    left at account level (no opportunity, and not by a person's choice)."""
    ev.deal_activities += 1
    if got and got[3] == "needs_review":
        ev.deal_review += 1
    elif got and got[3] == "associated" and got[1] and got[2] is None:
        ev.deal_silent += 1 - got[5]


def _tally(counts: list[int], truth: str | None, predicted: str | None) -> None:
    """Add one activity to [correct, predicted, actual] counts of one field."""
    counts[0] += predicted is not None and predicted == truth
    counts[1] += predicted is not None
    counts[2] += truth is not None


def _rule(reason: str) -> str:
    """Which association rule a stored reason comes from, for grouping mistakes."""
    for marker, rule in (
        ("by a person", "a person's choice"),
        ("of its thread", "inherited from the thread"),
        ("the subject names", "the subject names the opportunity"),
        ("the only deal open", "evidence on the only open opportunity"),
    ):
        if marker in reason:
            return rule
    return "scored evidence among several open opportunities"
