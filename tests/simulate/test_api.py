"""simulate_org's contract: arguments, determinism, progress and re-runs."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

import rightturn.simulate as sim
from rightturn.errors import ConfigError
from rightturn.simulate import SimulationSummary, simulate_org


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_public_surface_is_pinned():
    assert sim.__all__ == ["STYLES", "SimulationSummary", "Style", "simulate_org"]


def test_same_seed_and_end_give_identical_bytes(tmp_path):
    a = simulate_org(tmp_path / "a", seed=3, reps=3, months=1, end=date(2024, 3, 31))
    b = simulate_org(tmp_path / "b", seed=3, reps=3, months=1, end=date(2024, 3, 31))
    assert a.emails == b.emails > 0
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    simulate_org(tmp_path / "c", seed=4, reps=3, months=1, end=date(2024, 3, 31))
    assert _digest(tmp_path / "c") != _digest(tmp_path / "a")


def test_summary_and_progress(org):
    s = org.summary
    assert isinstance(s, SimulationSummary)
    assert s.reps == 20 and s.seed == 7
    assert s.teams == s.managers == 3
    assert s.end == date(2025, 6, 30) and s.start == date(2025, 1, 1)
    assert s.mailbox_messages > s.emails > 0
    assert org.progress[-1] == (20, 20)
    assert [d for d, _ in org.progress] == list(range(1, 21))
    # ~1,000 distinct emails per rep-year, ~8 opportunities per rep-month
    assert 700 <= s.emails / (20 * 0.5) <= 1400
    assert 6 * 20 * 6 <= s.opportunities <= 10 * 20 * 6


def test_rerun_over_previous_output_replaces_it(tmp_path):
    out = tmp_path / "org"
    simulate_org(out, seed=1, reps=9, months=1, end=date(2024, 3, 31))
    assert (out / "mail" / "R0009.mbox").exists()
    simulate_org(out, seed=1, reps=2, months=1, end=date(2024, 3, 31))
    assert not (out / "mail" / "R0009.mbox").exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"reps": 0}, "reps"), ({"months": 0}, "months"), ({"reps": -3}, "reps")],
)
def test_bad_arguments_raise_a_config_error_naming_them(tmp_path, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        simulate_org(tmp_path / "x", **kwargs)


def test_refuses_a_foreign_non_empty_directory(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not empty"):
        simulate_org(tmp_path, reps=1, months=1, end=date(2024, 1, 31))
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_refuses_a_file_as_out_dir(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        simulate_org(f, reps=1, months=1)
