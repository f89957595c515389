"""The figure registry and the what-if's bounds: no database, no org."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rightturn.analytics.definitions import FIGURES, PERIOD_WINDOWS, WINDOWS, period_key
from rightturn.analytics.performers import RATE_BOUNDS, whatif_rates, win_rate_input
from rightturn.cli import app
from rightturn.errors import ParseError


def test_every_figure_has_one_name_a_meaning_a_window_and_a_unit() -> None:
    names = [f.name for f in FIGURES.values()]
    assert len(names) == len(set(names)), "two figures share a name"
    for key, figure in FIGURES.items():
        assert figure.key == key and figure.counts and figure.tooltip.startswith(figure.counts)
        if figure.window is None:  # a term (P90, Little's law): no window, no unit
            continue
        assert figure.window in WINDOWS and figure.unit, key
        assert WINDOWS[figure.window] in figure.tooltip, key


def test_a_figure_over_two_windows_says_which_in_its_name() -> None:
    for base in ("win_rate", "avg_deal", "cycle_days_median", "won_value"):
        keys = [period_key(base, None), *(period_key(base, p) for p in PERIOD_WINDOWS)]
        names = {FIGURES[k].name for k in keys}
        assert len(names) == len(keys), base
        assert FIGURES[period_key(base, "Q")].name.endswith(", this quarter")
        assert FIGURES[period_key(base, None)].name.endswith(", all closed deals")


@pytest.mark.parametrize(
    ("typed", "rate"), [("33%", 0.33), ("0.33", 0.33), (" 33 % ", 0.33), ("0,4", 0.4), (0.5, 0.5)]
)
def test_a_win_rate_is_taken_as_a_person_writes_it(typed: str | float, rate: float) -> None:
    assert win_rate_input("today's win rate", typed) == pytest.approx(rate)


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("1e-9", "is below 1%"),
        ("0", "is below 1%"),
        ("1", "is above 99%"),
        ("100%", "is above 99%"),
        ("150", "is not a win rate between 0 and 1"),
        ("33", "for 33% write 33% or 0.33"),
        ("abc", "is not a number"),
        ("nan", "is not a number"),
        ("inf", "is not a number"),
        ("", "is not a number"),
    ],
)
def test_a_nonsense_win_rate_is_refused_in_plain_words(typed: str, words: str) -> None:
    with pytest.raises(ParseError, match=words):
        win_rate_input("today's win rate", typed)


def test_the_bounds_are_one_to_ninety_nine_percent() -> None:
    low, high = RATE_BOUNDS
    assert win_rate_input("x", f"{low:.2f}") == low and win_rate_input("x", f"{high}") == high
    with pytest.raises(ParseError):
        win_rate_input("x", low - 0.001)
    with pytest.raises(ParseError):
        win_rate_input("x", high + 0.001)


def test_the_target_is_above_todays_unless_a_decrease_is_asked_for() -> None:
    assert whatif_rates("30%", "40%", False) == pytest.approx((0.3, 0.4))
    with pytest.raises(ParseError, match="the target win rate 20% is below today's 30%"):
        whatif_rates("0.3", "0.2", False)
    assert whatif_rates("0.3", "0.2", True) == pytest.approx((0.3, 0.2))
    with pytest.raises(ParseError, match="is today's"):
        whatif_rates("0.3", "30%", True)


def test_the_cli_refuses_what_the_panel_refuses(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'w.db'}"
    assert CliRunner().invoke(app, ["init", "--db", db]).exit_code == 0
    for before, after, decrease in (
        ("1e-9", "1", False),
        ("0.3", "0.2", False),
        ("abc", "1%", False),
    ):
        args = ["whatif", "--from", before, "--to", after, "--db", db]
        result = CliRunner().invoke(app, args + (["--decrease"] if decrease else []))
        with pytest.raises(ParseError) as refused:
            whatif_rates(before, after, decrease)
        assert result.exit_code == 2, result.output
        assert " ".join(str(refused.value).split()) in " ".join(result.output.split())
