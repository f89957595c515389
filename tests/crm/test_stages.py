"""The learned stage order: open stages in the order deals move, then won, then lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rightturn.crm.model import Opportunity, Rep, StageChange
from rightturn.crm.stages import closed_rank, order_stages, stage_order
from rightturn.crm.store import Store

START = datetime(2026, 1, 5, 9, tzinfo=UTC)
OPEN = ["Prospecting", "Discovery", "Proposal", "Negotiation"]
# Most deals are lost early, so on average "Closed Lost" is entered between the second and third
# step: by its average place alone it would sit between Discovery and Proposal.
PATHS = {
    **{f"early{i}": ["Prospecting", "Closed Lost"] for i in range(4)},
    **{f"lost{i}": ["Prospecting", "Discovery", "Closed Lost"] for i in range(2)},
    "won": [*OPEN, "Closed Won"],
    "open": ["Prospecting", "Discovery", "Proposal"],
    "late-loss": [*OPEN, "Closed Lost"],
}


def _history() -> list[tuple[str, str, datetime, int]]:
    rows, n = [], 0
    for deal, path in PATHS.items():
        for step, stage in enumerate(path):
            n += 1
            rows.append((deal, stage, START + timedelta(days=7 * step), n))
    return rows


def test_a_lost_stage_entered_mid_way_still_comes_after_every_open_stage() -> None:
    def average_step(stage: str) -> float:
        steps = [path.index(stage) for path in PATHS.values() if stage in path]
        return sum(steps) / len(steps)

    # The premise: by its average place alone, the loss sits between Discovery and Proposal.
    assert average_step("Discovery") < average_step("Closed Lost") < average_step("Proposal")
    order = order_stages(_history())
    assert order == [*OPEN, "Closed Won", "Closed Lost"]


def test_won_stages_come_before_lost_ones_whatever_their_names() -> None:
    # A CRM's won stage named "Signed" is known by the won deals sitting in it.
    rows = [(d, "Signed" if s == "Closed Won" else s, at, n) for d, s, at, n in _history()]
    assert order_stages(rows, won={"Signed"})[-2:] == ["Signed", "Closed Lost"]
    assert [closed_rank(s, {"Signed"}) for s in ("Proposal", "Signed", "Lost")] == [0, 1, 2]


def test_stage_order_reads_the_same_order_from_the_store(store: Store) -> None:
    with store.session() as s:
        s.add(Rep(rep_id="r1", name="Ada Rep"))
        s.flush()
        for deal, path in PATHS.items():
            last = path[-1]
            status = "won" if last == "Closed Won" else "lost" if last == "Closed Lost" else "open"
            s.add(Opportunity(opportunity_id=deal, owner_rep_id="r1", stage=last, status=status))
        s.flush()
        for deal, stage, at, _ in _history():
            s.add(StageChange(opportunity_id=deal, stage=stage, entered_at=at))
    with store.session() as s:
        assert stage_order(s) == [*OPEN, "Closed Won", "Closed Lost"]
