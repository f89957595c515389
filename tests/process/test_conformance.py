"""Deals against the stage model: hand-made deviations found (skips, backward moves, criteria
unmet at the advance), token-replay fitness, the map, the simulator's truth, and the
``rightturn process conformance --json`` contract."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from rightturn.cli import app
from rightturn.crm.model import (
    Account,
    Activity,
    ActivityParticipant,
    Contact,
    Opportunity,
    OpportunityChange,
    Rep,
    StageChange,
    Team,
)
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.process.conformance import check_conformance, deal_paths
from rightturn.process.definition import default_process
from rightturn.process.fitness import available, replay
from tests.process.test_inspect import AS_OF, org, org_url  # noqa: F401  (shared fixtures)

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
_ids = count(1)
needs_pm4py = pytest.mark.skipif(
    not available(), reason="pm4py is not installed (rightturn[mining])"
)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def _deal(s, oid: str, rep: str, path: list[tuple[str, float]], **kw: object) -> None:
    last = path[-1][0]
    status = "won" if "won" in last.lower() else "lost" if "lost" in last.lower() else "open"
    s.add(
        Opportunity(
            opportunity_id=oid,
            account_id=kw.pop("account_id", "ACME"),
            owner_rep_id=rep,
            name=f"Deal {oid}",
            stage=last,
            status=status,
            created_at=day(path[0][1]),
            amount=kw.pop("amount", Decimal(50_000)),
            close_date=kw.pop("close_date", day(90).date()),
        )
    )
    s.flush()
    for stage, n in path:
        s.add(StageChange(opportunity_id=oid, stage=stage, entered_at=day(n)))


def _buyer(s, oid: str | None, contact: str, n: float, kind: str = "email") -> None:
    a = Activity(
        kind=kind,
        direction="inbound" if kind != "meeting" else "outbound",
        occurred_at=day(n),
        rep_id="R1",
        contact_id=contact,
        account_id="ACME",
        opportunity_id=oid,
        source="test",
        source_id=f"a{next(_ids)}",
        status="associated",
    )
    s.add(a)
    s.flush()
    if kind == "meeting":
        s.add(
            ActivityParticipant(
                activity_id=a.activity_id, role="attendee", address=f"{contact}@acme.test",
                contact_id=contact,
            )
        )  # fmt: skip


FULL = [
    ("Prospecting", 0),
    ("Qualification", 5),
    ("Discovery", 10),
    ("Proposal", 20),
    ("Negotiation", 30),
    ("Closed Won", 40),
]


@pytest.fixture
def deals(store: Store) -> Store:
    """R1 (Ann Lee, team East) works ACME: a clean deal, a skip, a backward move, an advance
    with no buyer reply, and a deal in a stage the process does not name. R2 (Bo Chen, team
    West) has one clean deal."""
    with store.session() as s:
        s.add_all([Team(team_id="E", name="East"), Team(team_id="W", name="West")])
        s.flush()
        s.add_all(
            [
                Rep(rep_id="R1", name="Ann Lee", team_id="E"),
                Rep(rep_id="R2", name="Bo Chen", team_id="W"),
                Account(account_id="ACME", name="Acme"),
            ]
        )
        s.flush()
        s.add_all([Contact(contact_id=c, account_id="ACME", name=c) for c in ("C1", "C2")])
        s.flush()
        # CLEAN: every criterion met before each advance (in any case of the stage names).
        _deal(s, "CLEAN", "R1", [(n.upper() if i == 2 else n, d) for i, (n, d) in enumerate(FULL)])
        _buyer(s, "CLEAN", "C1", 4)  # a reply before Qualification
        _buyer(s, "CLEAN", "C1", 8, kind="meeting")  # a meeting before Discovery
        _buyer(s, "CLEAN", "C2", 9)  # a 2nd contact before leaving Discovery
        # SKIP: Prospecting straight to Proposal, then lost.
        _deal(s, "SKIP", "R1", [("Prospecting", 0), ("Proposal", 6), ("Closed Lost", 12)])
        # BACK: Discovery back to Qualification, still open there.
        _deal(
            s, "BACK", "R1",
            [("Prospecting", 0), ("Qualification", 3), ("Discovery", 6), ("Qualification", 9)],
        )  # fmt: skip
        _buyer(s, "BACK", "C1", 2)
        _buyer(s, "BACK", "C2", 5, kind="meeting")
        # NOREPLY: to Qualification on day 3 with no buyer reply; the reply comes on day 20.
        _deal(s, "NOREPLY", "R1", [("Prospecting", 0), ("Qualification", 3)])
        _buyer(s, "NOREPLY", "C1", 20)
        # OUTSIDE: a stage the process does not name, in the middle.
        _deal(s, "OUTSIDE", "R1", [("Prospecting", 0), ("Engaging", 4)])
        # R2's deal: Prospecting only, a clean start.
        _deal(s, "R2DEAL", "R2", [("Prospecting", 1)])
    return store


def _paths(store: Store, as_of: datetime = day(60)) -> dict:
    _, _, found = deal_paths(store, Scope.everything(), as_of=as_of)
    return {p.opportunity_id: p for p in found}


def test_deviations_are_found_and_named(deals: Store) -> None:
    p = _paths(deals)
    assert p["CLEAN"].conforms and not p["CLEAN"].unmet
    assert [m.kind for m in p["CLEAN"].moves] == ["start", "forward", "forward", "forward",
                                                  "forward", "won"]  # fmt: skip
    assert p["CLEAN"].stages[2] == "Discovery"  # spelled as the process spells it
    assert p["SKIP"].skipped == ["Qualification", "Discovery"]
    assert [m.kind for m in p["SKIP"].moves] == ["start", "skip", "lost"]
    assert p["BACK"].backward == 1 and not p["BACK"].skipped
    assert p["NOREPLY"].unmet == ["entry of Qualification: a buyer reply"]
    assert [m.kind for m in p["OUTSIDE"].moves] == ["start", "outside"]
    assert p["R2DEAL"].conforms
    # Entering Proposal needs an amount and a close date: SKIP has both, so only the skip counts.
    assert not p["SKIP"].unmet


def test_criteria_are_judged_as_of_the_advance(deals: Store) -> None:
    with deals.session() as s:
        # The amount was only set ten days after CLEAN entered Proposal.
        s.add(
            OpportunityChange(
                opportunity_id="CLEAN", field="amount", old_value=None, new_value="50000",
                changed_at=day(30),
            )
        )  # fmt: skip
    unmet = _paths(deals)["CLEAN"].unmet
    assert unmet == ["entry of Proposal: amount set"]
    # Before the deal advanced to Qualification, NOREPLY has only its start: nothing unmet yet.
    early = _paths(deals, as_of=day(2))
    assert early["NOREPLY"].stages == ["Prospecting"] and early["NOREPLY"].conforms
    assert "CLEAN" in early and early["CLEAN"].stages == ["Prospecting"]


def test_a_second_contact_must_be_engaged_before_leaving_discovery(deals: Store) -> None:
    with deals.session() as s:
        _deal(s, "ONE", "R2", FULL)
        for n, kind in ((4, "email"), (8, "meeting"), (15, "email")):
            _buyer(s, "ONE", "C1", n, kind=kind)  # always the same buyer
    unmet = _paths(deals)["ONE"].unmet
    assert unmet == [
        "exit of Discovery: at least 2 buyer contacts engaged",
        "entry of Negotiation: at least 2 buyer contacts engaged",
    ]


@needs_pm4py
def test_fitness_is_one_for_allowed_paths_and_less_for_deviations(deals: Store) -> None:
    p = _paths(deals)
    assert p["CLEAN"].fitness == pytest.approx(1.0)
    assert p["R2DEAL"].fitness == pytest.approx(1.0)  # open in its first stage: no deviation
    assert p["NOREPLY"].fitness == pytest.approx(1.0)  # criteria are not the model's concern
    assert p["SKIP"].fitness < 1.0
    assert p["BACK"].fitness < 1.0
    assert p["SKIP"].deviates("unfit") and not p["CLEAN"].deviates("unfit")


@needs_pm4py
def test_replay_penalises_skips_and_early_wins() -> None:
    process = default_process()
    found = replay(
        process,
        {
            "ok": (["Prospecting", "Qualification", "Closed Lost"], None),
            "one": (["Prospecting", "Discovery"], "Discovery"),
            "three": (["Prospecting", "Negotiation"], "Negotiation"),
            "won_early": (["Prospecting", "Qualification", "Closed Won"], None),
        },
    )
    assert found is not None
    assert found["ok"] == pytest.approx(1.0)
    # A skip costs a missing and a remaining token however far it jumps (the path lists the
    # stages skipped); a won deal that skipped the late stages costs the same.
    assert 0 < found["three"] <= found["one"] < 1.0
    assert found["won_early"] < 1.0


def test_rollups_and_the_map(deals: Store) -> None:
    c = check_conformance(deals, Scope.everything(), as_of=day(60), by="rep")
    assert c.overall.deals == 6
    rows = {r.name: r for r in c.by}
    assert set(rows) == {"Ann Lee", "Bo Chen"}  # names, not ids
    ann = rows["Ann Lee"]
    assert ann.deals == 5
    assert ann.skipped_share == pytest.approx(1 / 5)
    assert ann.backward_share == pytest.approx(1 / 5)
    assert ann.top_unmet == "entry of Qualification: a buyer reply"
    assert rows["Bo Chen"].conforming_share == 1.0
    edges = {(e["from"], e["to"]): e for e in c.edges}
    assert edges[(None, "Prospecting")]["deals"] == 6
    assert edges[("Prospecting", "Proposal")]["kind"] == "skip"
    assert edges[("Discovery", "Qualification")]["kind"] == "backward"
    assert edges[("Prospecting", "Qualification")]["median_days"] == pytest.approx(3.0)  # 5, 3, 3
    nodes = {n["stage"]: n for n in c.nodes}
    assert nodes["Engaging"]["in_process"] is False and nodes["Prospecting"]["deals"] == 6
    teams = check_conformance(deals, Scope.everything(), as_of=day(60), by="team")
    assert {r.name: r.deals for r in teams.by} == {"East": 5, "West": 1}
    scoped = check_conformance(deals, Scope(frozenset({"R2"})), as_of=day(60))
    assert scoped.overall.deals == 1


def test_the_simulated_orgs_paths_match_its_truth(org: Path, org_url: str) -> None:  # noqa: F811
    """The simulator plants a skipped stage or a move back on some deals (sloppy reps more):
    every one is found, and no other; and deals it planted as multi-threaded miss "2 buyer
    contacts engaged" far less often."""
    with Store.open(org_url) as store:
        _, _, paths = deal_paths(store, Scope.everything(), as_of=AS_OF)
    truth = pd.read_csv(org / "truth" / "opportunities.csv", keep_default_na=False)
    truth = truth.set_index("opportunity_id")
    assert len(paths) == len(truth)
    found = {p.opportunity_id: p for p in paths}
    planted_skips = {o: s for o, s in truth["skipped_stage"].items() if s}
    assert planted_skips and {o: found[o].skipped for o in found if found[o].skipped} == {
        o: [s] for o, s in planted_skips.items()
    }
    planted_back = set(truth.index[truth["moved_back"] == 1])
    assert planted_back and {o for o, p in found.items() if p.backward} == planted_back
    if available():
        unfit = {o for o, p in found.items() if p.fitness is not None and p.fitness < 1.0}
        assert unfit == planted_back | set(planted_skips)
    missed = pd.Series(
        {p.opportunity_id: any("contacts engaged" in u for u in p.unmet) for p in paths}
    )
    far = pd.Series({p.opportunity_id: p.advances >= 4 for p in paths})
    frame = truth.assign(missed=missed, far=far)
    frame = frame[frame["far"]]
    rates = frame.groupby("multithreaded")["missed"].mean()
    assert rates[1] + 0.3 < rates[0], rates


def test_the_json_contract(deals: Store) -> None:
    result = CliRunner().invoke(
        app, ["process", "conformance", "--db", deals.url, "--as-of", "2026-05-01", "--json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    for key in (
        "process_version", "process_name", "as_of", "deals", "conforming_share", "fitness_avg",
        "skipped_share", "backward_share", "unmet_share", "advances", "by", "map",
    ):  # fmt: skip
        assert key in out
    assert out["deals"] == 6
    assert {"key", "name", "deals", "conforming_share", "fitness_avg"} <= set(out["by"][0])
    assert {"from", "to", "deals", "kind", "median_days"} == set(out["map"]["edges"][0])
    table = CliRunner().invoke(app, ["process", "conformance", "--db", deals.url, "--by", "team"])
    assert table.exit_code == 0 and "East" in table.output and "skip" in table.output
    bad = CliRunner().invoke(app, ["process", "conformance", "--db", deals.url, "--by", "x"])
    assert bad.exit_code == 2 and "rep, team, product" in bad.output


MAVEN_PROCESS = """
name: Maven's pipeline
stages:
  - name: Engaging
  - name: Won
    outcome: won
  - name: Lost
    outcome: lost
"""


def test_a_real_export_checked_against_its_own_process(store: Store, maven_dir: Path) -> None:
    """The Maven CRM export (another org: its own stage names, dates only for engaging and
    closing) against a process written for it: the map counts what the CSV says, and every
    dated deal conforms to the stage order."""
    import csv

    from rightturn.crm.imports import import_maven
    from rightturn.process.versions import apply_process

    import_maven(store, maven_dir)
    apply_process(store, MAVEN_PROCESS, who="test")
    with (maven_dir / "sales_pipeline.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    dated = {
        stage: sum(r["deal_stage"] == stage and bool(r["engage_date"]) and bool(r["close_date"])
                   for r in rows)
        for stage in ("Won", "Lost")
    }  # fmt: skip
    c = check_conformance(store, Scope.everything(), as_of=datetime.now(UTC))
    edges = {(e["from"], e["to"]): e for e in c.edges}
    assert edges[("Engaging", "Won")]["deals"] == dated["Won"]
    assert edges[("Engaging", "Lost")]["deals"] == dated["Lost"]
    assert {e["kind"] for e in c.edges} <= {"start", "won", "lost"}
    assert c.overall.skipped_share == 0 and c.overall.backward_share == 0
    if available():
        assert c.overall.fitness_avg == pytest.approx(1.0)
    assert c.process_name == "Maven's pipeline"
