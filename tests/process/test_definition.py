"""Process files: the shipped ones load, and a bad one names every problem with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from rightturn.process.definition import (
    FILES,
    ProcessError,
    default_process,
    load_process,
    parse_process,
)


@pytest.mark.parametrize("path", sorted(FILES.glob("*.yaml")), ids=lambda p: p.name)
def test_the_shipped_processes_load(path: Path) -> None:
    process = load_process(path)
    assert process.stage_order[-2:] == ["Closed Won", "Closed Lost"]
    assert process.cadence_for("prospect") is not None


def test_the_default_prospecting_play_is_eight_touches_over_about_three_weeks() -> None:
    play = default_process().cadence_for("prospect")
    assert play is not None
    assert len(play.touches) == 8 and 18 <= play.span_days <= 24
    assert {t.channel for t in play.touches} >= {"email", "call"}
    assert play.planned_by(0) == 1 and play.planned_by(play.span_days) == 8
    assert [play.planned_by(d) for d in range(0, 30)] == sorted(
        play.planned_by(d) for d in range(0, 30)
    )


def test_a_cadence_is_chosen_by_segment_then_the_general_one() -> None:
    variant = load_process(FILES / "light-touch.yaml")
    enterprise = variant.cadence_for("prospect", segment="enterprise")
    general = variant.cadence_for("prospect", segment="SMB")
    assert enterprise is not None and len(enterprise.touches) == 8
    assert general is not None and len(general.touches) == 5


BAD = """\
name: Broken
stages:
  - name: Prospecting
    entry: [a lot of enthusiasm]
  - name: Won
    outcome: won
cadences:
  - name: Play
    touches:
      - {channel: fax, wait_days: -1}
"""


def test_a_bad_file_names_every_problem_with_its_line() -> None:
    with pytest.raises(ProcessError) as caught:
        parse_process(BAD, "broken.yaml")
    problems = caught.value.problems
    assert (
        4,
        "stages #1.entry: 'a lot of enthusiasm' is not a criterion we can check; use one of: "
        "amount set; close date set; a buyer reply; a meeting with a buyer held; at least N "
        "buyer contacts engaged",
    ) in problems
    assert any(line == 10 and "channel" in msg and "'email'" in msg for line, msg in problems)
    assert any(line == 10 and "wait_days" in msg for line, msg in problems)
    assert not any("at least 1 item" in msg for _, msg in problems)  # no echo of the bad touch
    assert str(caught.value).startswith("broken.yaml:4: ")


def test_rules_across_the_file_are_all_reported() -> None:
    text = (
        "name: x\nstages:\n  - name: A\n  - name: B\n    outcome: won\ncadences:\n"
        "  - name: c\n    applies_to: {stage: Nope}\n    touches: [{channel: call, wait_days: 1}]\n"
    )
    with pytest.raises(ProcessError) as caught:
        parse_process(text)
    message = str(caught.value)
    assert "no stage has outcome: lost" in message and "'Nope' is not a stage" in message


@pytest.mark.parametrize(
    ("text", "said"),
    [("", "empty"), ("name: [unclosed", "not YAML"), ("- a\n- b\n", "a mapping")],
)
def test_not_a_process_at_all(text: str, said: str) -> None:
    with pytest.raises(ProcessError, match=said):
        parse_process(text)
