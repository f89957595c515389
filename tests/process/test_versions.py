"""Process versions: applying one adds a version, applying the same text adds none, a later
version never changes what was in force before it, and the stage order follows the process."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from rightturn.analytics.snapshot import load_snapshot
from rightturn.crm.model import BuyerAction, Opportunity, ProcessVersion, Rep, StageChange
from rightturn.crm.scope import Scope
from rightturn.crm.settings import data_version
from rightturn.crm.stages import record_stage_advances, stage_order
from rightturn.crm.store import Store
from rightturn.errors import NotFound, ParseError
from rightturn.process.definition import FILES, ProcessError, default_process
from rightturn.process.versions import (
    apply_process,
    find_version,
    list_versions,
    process_in_force,
    version_in_force,
)

DEFAULT = (FILES / "default.yaml").read_text(encoding="utf-8")
CALL_FIRST = FILES / "call-first.yaml"

# A process whose won stage does not say "won" and which names a stage no deal has reached.
SIGNED = """\
name: Signed process
stages:
  - name: Prospecting
  - name: Qualification
  - name: Discovery
  - name: Proposal
  - name: Signed
    outcome: won
  - name: Closed Lost
    outcome: lost
"""


def test_nothing_applied_means_the_shipped_default_as_version_0(store: Store) -> None:
    version, process = process_in_force(store)
    assert version == 0 and process == default_process()
    assert list_versions(store) == []
    found = version_in_force(store)
    assert found.applied_at is None and found.applied_by is None and found.definition == DEFAULT


def test_apply_adds_a_version_with_who_and_when_and_bumps_the_data_version(store: Store) -> None:
    with store.session() as s:
        before = data_version(s)
    done = apply_process(store, CALL_FIRST, who="ada@example.com")
    assert done.added and done.version == 1 and done.applied_by == "ada@example.com"
    assert done.name == done.process().name
    assert done.applied_at is not None
    assert abs(done.applied_at - datetime.now(UTC)) < timedelta(minutes=1)
    with store.session() as s:
        assert data_version(s) == before + 1
        row = s.get(ProcessVersion, 1)
        assert row is not None and row.definition == CALL_FIRST.read_text(encoding="utf-8")
        assert row.stage_order == done.process().stage_order
        assert row.stage_order[-2:] == ["Closed Won", "Closed Lost"]
        assert (row.won_stages, row.lost_stages) == (["Closed Won"], ["Closed Lost"])
    version, process = process_in_force(store)
    assert version == 1 and process == done.process()


def test_applying_the_text_in_force_again_adds_nothing_and_says_so(store: Store) -> None:
    first = apply_process(store, CALL_FIRST, who="ada")
    with store.session() as s:
        before = data_version(s)
    # The same text, read from the file or given with Windows line endings: nothing new.
    again = apply_process(store, CALL_FIRST, who="bob")
    crlf = apply_process(store, CALL_FIRST.read_text().replace("\n", "\r\n"), who="bob")
    for same in (again, crlf):
        assert not same.added and same.version == first.version
        assert same.applied_by == "ada" and same.applied_at == first.applied_at
    assert [v.version for v in list_versions(store)] == [1]
    with store.session() as s:
        assert data_version(s) == before  # rolled back: cached analytics stay valid
    # The shipped default's text is a version of its own when applied: it pins that text.
    pinned = apply_process(store, DEFAULT, who="ada")
    assert pinned.added and pinned.version == 2
    # Back to an earlier text: a new version, not the old one.
    back = apply_process(store, CALL_FIRST, who="ada")
    assert back.added and back.version == 3
    assert [v.version for v in list_versions(store)] == [3, 2, 1]


def test_the_same_text_applied_twice_at_once_makes_one_version(store: Store) -> None:
    text = CALL_FIRST.read_text(encoding="utf-8")
    start = threading.Barrier(4)

    def apply(who: str) -> bool:
        start.wait()
        return apply_process(store, text, who=who).added

    with ThreadPoolExecutor(max_workers=4) as pool:
        added = list(pool.map(apply, ["a", "b", "c", "d"]))
    assert added.count(True) == 1
    assert [v.version for v in list_versions(store)] == [1]


def test_a_later_version_does_not_change_what_was_in_force_before_it(store: Store) -> None:
    first = apply_process(store, CALL_FIRST, who="ada")
    assert first.applied_at is not None
    between = first.applied_at + timedelta(microseconds=1)
    assert process_in_force(store, between)[0] == 1
    second = apply_process(store, DEFAULT, who="bob")
    assert second.version == 2
    version, process = process_in_force(store, between)
    assert version == 1 and process.name == first.name
    assert process_in_force(store, first.applied_at - timedelta(seconds=1))[0] == 0
    assert process_in_force(store)[0] == 2
    # A naive time is UTC.
    assert process_in_force(store, between.replace(tzinfo=None))[0] == 1
    assert find_version(store, 1).definition == first.definition


def test_a_bad_definition_stores_nothing_and_names_every_problem(store: Store) -> None:
    with pytest.raises(ProcessError) as caught:
        apply_process(store, "name: x\nstages:\n  - name: A\n", who="ada")
    assert caught.value.problems and str(caught.value).startswith("the process:")
    assert list_versions(store) == []
    with pytest.raises(NotFound, match="none was applied yet"):
        find_version(store, 1)


def test_an_unreadable_file_is_named(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="cannot read the process file"):
        apply_process(store, tmp_path / "missing.yaml", who="ada")


# --- the stage order follows the process ----------------------------------------------------

START = datetime(2026, 1, 5, 9, tzinfo=UTC)
PATHS = {
    "won": ["Prospecting", "Discovery", "Proposal", "Closed Won"],
    "lost": ["Prospecting", "Discovery", "Closed Lost"],
    "held": ["Prospecting", "Discovery", "On Hold"],
    "open": ["Prospecting", "Proposal"],
}


def _load_history(store: Store) -> None:
    with store.session() as s:
        s.add(Rep(rep_id="r1", name="Ada Rep"))
        s.flush()
        for deal, path in PATHS.items():
            last = path[-1]
            status = "won" if last == "Closed Won" else "lost" if last == "Closed Lost" else "open"
            s.add(Opportunity(opportunity_id=deal, owner_rep_id="r1", stage=last, status=status))
        s.flush()
        for deal, path in PATHS.items():
            for step, stage in enumerate(path):
                s.add(StageChange(opportunity_id=deal, stage=stage, entered_at=START + step * WEEK))


WEEK = timedelta(days=7)


def test_stage_order_follows_the_applied_process_and_keeps_the_datas_other_stages(
    store: Store,
) -> None:
    _load_history(store)
    with store.session() as s:
        learned = stage_order(s)
    assert learned[-2:] == ["Closed Won", "Closed Lost"] and "Qualification" not in learned
    apply_process(store, SIGNED, who="ada")
    with store.session() as s:
        order = stage_order(s)
    # The process's open stages in its order (one no deal reached included), then the data's
    # open stage it does not name, then won stages (its own, then the data's), then lost.
    assert order == [
        "Prospecting",
        "Qualification",
        "Discovery",
        "Proposal",
        "On Hold",
        "Signed",
        "Closed Won",
        "Closed Lost",
    ]


def test_a_process_stage_the_data_spells_in_another_case_is_listed_as_the_data_spells_it(
    store: Store,
) -> None:
    _load_history(store)
    apply_process(store, SIGNED.replace("- name: Discovery", "- name: DISCOVERY"), who="ada")
    with store.session() as s:
        order = stage_order(s)
    assert "Discovery" in order and "DISCOVERY" not in order
    assert order.index("Qualification") < order.index("Discovery") < order.index("Proposal")


def test_analytics_use_the_process_in_force_at_their_as_of(store: Store) -> None:
    _load_history(store)
    with store.session() as s:
        learned = stage_order(s)
    applied = apply_process(store, SIGNED, who="ada")
    assert applied.applied_at is not None
    with store.session() as s:
        snap = load_snapshot(s, Scope.everything())
        assert snap.process is not None and snap.process.version == applied.version
        assert snap.order == stage_order(s)
        # "Signed" is won because the process says so, though no deal sits in it.
        assert snap.open_stages == [
            "Prospecting",
            "Qualification",
            "Discovery",
            "Proposal",
            "On Hold",
        ]
        # A report as of before the apply keeps the order it had then.
        earlier = load_snapshot(s, Scope.everything(), applied.applied_at - timedelta(days=1))
        assert earlier.process is None and earlier.order == learned
        scoped = load_snapshot(s, Scope(rep_ids=frozenset({"r1"})))
        assert scoped.order == snap.order


def test_stage_advances_follow_the_process_order(store: Store) -> None:
    _load_history(store)
    # This process puts On Hold before Discovery: Discovery -> On Hold is a step back.
    apply_process(
        store,
        SIGNED.replace("  - name: Discovery\n", "  - name: On Hold\n  - name: Discovery\n"),
        who="ada",
    )
    with store.session() as s:
        record_stage_advances(s)
    with store.session() as s:
        advanced = s.scalars(
            select(StageChange.stage)
            .join(BuyerAction, BuyerAction.stage_change_id == StageChange.id)
            .where(BuyerAction.kind == "stage_advance", StageChange.opportunity_id == "held")
        ).all()
    assert advanced == ["Discovery"]
