"""``rightturn effort ab`` and ``rightturn effort weekly`` (and ``effort --team``) on a
hand-made org: their JSON, their tables, and errors that name the input and the fix."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from rightturn.cli import app
from rightturn.crm.store import Store
from tests.effort.small_org import DAY, at, make_org, touches

UNTIL = ["--until", DAY.isoformat()]


@pytest.fixture
def org(store: Store) -> Store:
    make_org(store)
    touches(store, "R1", at(45), 6, 1)
    touches(store, "R1", at(40), 12, 2, channel="call")
    touches(store, "R1", at(30), 12, 6)
    touches(store, "R2", at(30), 8, 4)
    touches(store, "R3", at(25), 9, 1)
    return store


def run(store: Store, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["effort", *args, "--db", store.url, *UNTIL])
    return result.exit_code, result.output


def test_ab_json_has_both_arms_in_the_rates_contract_and_the_decision(org: Store) -> None:
    code, out = run(org, "ab", "--by", "channel", "call", "email", "--json")
    assert code == 0, out
    body = json.loads(out)
    assert (body["a"]["value"], body["a"]["touches"], body["a"]["responses"]) == ("call", 12, 2)
    assert (body["b"]["value"], body["b"]["touches"], body["b"]["responses"]) == ("email", 35, 12)
    assert body["decision"] in ("B better", "A better", "not yet")
    assert 0 <= body["prob_b_better"] <= 1 and body["summary"]
    assert {r["rep"] for r in body["reps"]} == {"Ann Lee", "Bo Chen", "Cy Dunn"}


def test_ab_narrows_to_a_team_and_to_a_rep(org: Store) -> None:
    code, out = run(org, "ab", "--by", "channel", "call", "email", "--team", "team t", "--json")
    assert code == 0, out
    assert json.loads(out)["b"]["touches"] == 26  # Ann's 18 and Bo's 8; Cy is in team U
    code, out = run(org, "ab", "--by", "rep", "Ann Lee", "Bo Chen", "--json")
    assert code == 0, out
    assert [json.loads(out)[arm]["touches"] for arm in ("a", "b")] == [30, 8]


def test_ab_prints_the_arms_the_chance_and_the_verdict_in_words(org: Store) -> None:
    code, out = run(org, "ab", "--by", "channel", "call", "email")
    assert code == 0, out
    text = " ".join(out.split())
    assert "A: call" in text and "B: email" in text and "Chance B is better:" in text
    assert "Decided:" in text or "Not decided yet: about" in text
    assert "Ann Lee" in text  # each rep's counts, by name


def test_an_unknown_value_lists_the_values_there_are_with_their_n(org: Store) -> None:
    code, out = run(org, "ab", "--by", "channel", "call", "fax")
    text = " ".join(out.split())
    assert code == 2
    assert "B 'fax': no touch has that channel" in text
    assert "email (35 touches), call (12 touches)" in text
    code, out = run(org, "ab", "--by", "colour", "a", "b")
    assert code == 2 and "use one of channel" in out


def test_weekly_json_lists_weeks_with_n_and_the_before_and_after(org: Store) -> None:
    change = (DAY - timedelta(days=33)).isoformat()
    code, out = run(
        org, "weekly", "--by", "channel", "--value", "email", "--around", change, "--json"
    )
    assert code == 0, out
    body = json.loads(out)
    assert (body["feature"], body["value"], body["zone"]) == (
        "channel",
        "email",
        "America/New_York",
    )
    assert sum(w["touches"] for w in body["weeks"]) == 35
    for w in body["weeks"]:
        assert {"week", "touches", "responses", "rate", "ci_low", "ci_high"} <= set(w)
    around = body["around"]
    assert around["change"] == change and around["after_touches"] + around["before_touches"] > 0
    assert around["verdict"] in ("better", "worse", "no clear change")


def test_weekly_prints_a_table_and_the_change(org: Store) -> None:
    code, out = run(
        org, "weekly", "--rep", "Ann Lee", "--around", (DAY - timedelta(days=35)).isoformat()
    )
    assert code == 0, out
    text = " ".join(out.split())
    assert "Ann Lee" in text and "weeks in America/New_York" in text
    assert "Change:" in text and "days before" in text


def test_weekly_refuses_a_change_too_recent_and_a_value_without_a_feature(org: Store) -> None:
    code, out = run(org, "weekly", "--around", (DAY - timedelta(days=3)).isoformat())
    assert code == 2 and "give a day up to" in " ".join(out.split())
    code, out = run(org, "weekly", "--value", "email")
    assert code == 2 and "give a feature and a value together" in " ".join(out.split())
    code, out = run(org, "weekly", "--around", "June 1")
    assert code == 2 and "--around 'June 1' is not a date" in out


def test_effort_by_feature_takes_a_team_and_keeps_its_json_contract(org: Store) -> None:
    code, out = run(org, "--by", "rep", "--team", "U", "--json")
    assert code == 0, out
    rows = json.loads(out)
    assert [(r["value"], r["touches"]) for r in rows] == [("Cy Dunn", 9)]
    assert {"value", "touches", "responses", "rate", "ci_low", "ci_high"} <= set(rows[0])
    code, out = run(org, "--by", "rep", "--team", "Sales", "--json")
    assert code == 2 and 'the teams are "Team T" (id T), "Team U" (id U)' in " ".join(out.split())
