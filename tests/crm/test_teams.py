"""Teams as people write them, and as ``summary`` lists them, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from rightturn.crm.imports import import_crm
from rightturn.crm.model import Rep, Team
from rightturn.crm.scope import scope_for
from rightturn.crm.store import Store
from rightturn.crm.summary import TeamLine, org_summary
from rightturn.crm.teams import find_team
from rightturn.errors import Conflict, NotFound
from tests.crm.test_import_canonical import FILES, write

REPS = [
    "rep_id,name,emails,phones,team,manager_id,quota",
    "M1,Maria Manager,maria@seller.io,,East 1,,",
    "R1,Alice Rep,alice@seller.io,,East 1,M1,500000",
    "R2,Bob Rep,bob@seller.io,,East 1,M1,450000",
    "M2,Wanda West,wanda@seller.io,,West Coast,,",
    "R3,Carl Rep,carl@seller.io,,West Coast,M2,400000",
]


@pytest.fixture
def org(store: Store, tmp_path: Path) -> Store:
    """The canonical test files with two teams: "East 1" (three reps) and "West Coast"."""
    import_crm(store, write(tmp_path / "crm", {**FILES, "reps.csv": REPS}))
    return store


@pytest.mark.parametrize("given", ["East 1", "east 1", "east-1", "  EAST   1 ", "East-1"])
def test_a_team_is_found_by_its_name_in_any_case_and_spacing_or_by_its_id(
    org: Store, given: str
) -> None:
    with org.session() as s:
        assert find_team(s, given).team_id == "east-1"


def test_an_unknown_team_is_not_found_and_the_message_lists_the_teams(org: Store) -> None:
    with org.session() as s, pytest.raises(NotFound) as caught:
        find_team(s, "North 3")
    message = str(caught.value)
    assert message.startswith("no team 'North 3'")
    assert '"East 1" (id east-1)' in message and '"West Coast" (id west-coast)' in message


def test_a_database_without_teams_says_where_teams_come_from(store: Store) -> None:
    with store.session() as s, pytest.raises(NotFound, match="the `team` column of reps"):
        find_team(s, "East 1")


def test_an_id_wins_over_another_teams_name_and_a_tie_asks_for_the_id(store: Store) -> None:
    with store.session() as s:
        s.add_all([Team(team_id="east-1", name="East 1"), Team(team_id="t9", name="EAST-1")])
    with store.session() as s:
        assert find_team(s, "east-1").team_id == "east-1"  # the exact id first
        assert find_team(s, "t9").name == "EAST-1"
        with pytest.raises(Conflict, match="give the id"):
            find_team(s, "East-1")  # the spelling of one's name and the other's id


def test_a_viewer_finds_only_teams_with_reps_they_may_see(org: Store) -> None:
    with org.session() as s:
        scope = scope_for(s, "manager", None, "west-coast")
        assert find_team(s, "West Coast", scope).team_id == "west-coast"
        with pytest.raises(NotFound) as caught:
            find_team(s, "East 1", scope)
    assert "East 1" not in str(caught.value).removeprefix("no team 'East 1'")


def test_summary_lists_the_teams_with_their_managers_and_reps(org: Store) -> None:
    with org.session() as s:
        s.add(Team(team_id="empty", name="empty team", manager_name="Only A Name"))
        s.add(Rep(rep_id="R9", name="No Team"))
    summary = org_summary(org)
    assert summary.teams == 3  # the count stays as it was
    assert summary.team_lines == [
        TeamLine("east-1", "East 1", "Maria Manager", 2),
        TeamLine("empty", "empty team", "Only A Name", 0),
        TeamLine("west-coast", "West Coast", "Wanda West", 1),
    ]
