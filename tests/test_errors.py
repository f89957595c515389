"""One error path: domain code raises RightturnError subclasses; only the CLI's decorator and the
web app's handlers translate them (exit 2 with the message; 4xx JSON; a styled page)."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from rightturn.cli import app
from rightturn.errors import ParseError, RightturnError

PACKAGE = Path(__file__).parents[1] / "rightturn"
# A ValueError that is a programming error, never the user's input; and pydantic validators,
# which must raise ValueError for pydantic to report the field.
INTERNAL = {"analytics/snapshot.py", "web/api.py"}


def test_domain_code_raises_rightturn_errors_not_bare_value_errors() -> None:
    found = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in PACKAGE.rglob("*.py")
        if str(path.relative_to(PACKAGE)) not in INTERNAL
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"raise ValueError\(", line)
    ]
    assert not found, f"raise a RightturnError subclass (e.g. ParseError) instead: {found}"


def test_a_parse_error_is_both_a_rightturn_error_and_a_value_error() -> None:
    # Readers that reject a row on any unreadable value keep working.
    assert issubclass(ParseError, RightturnError) and issubclass(ParseError, ValueError)


def test_domain_errors_reach_the_cli_as_one_line_and_exit_2(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    for args, words in (
        (["simulate", "--out", str(tmp_path / "o"), "--reps", "0"], "reps"),
        (["simulate", "--out", str(tmp_path / "o"), "--style", "baroque"], "no simulator style"),
        (["metrics", "--period", "W", "--db", db], "period"),
        (["whatif", "--metric", "win_rate", "--from", "0.2", "--to", "7", "--db", db], "or 0.07"),
        (["review", "--resolve", "1", "--db", db], "--opportunity ID"),
        (["blocklist", "add", "not an address", "--db", db], "not an address"),
    ):
        result = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
        assert result.exit_code == 2, (args, result.output)
        assert words in result.output and "Traceback" not in result.output, (args, result.output)
