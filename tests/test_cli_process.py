"""`rightturn process check|apply|show|list`: a process file checked with every problem on its
line, applied as versions, printed back and listed."""

from __future__ import annotations

import re
from pathlib import Path

from rightturn.cli import app
from rightturn.process.definition import FILES
from tests.process.test_definition import BAD  # the same broken file, checked by the CLI
from tests.test_cli import run, runner


def test_check_a_good_file_prints_its_stages_in_order_and_each_cadence() -> None:
    path = FILES / "default.yaml"
    code, out = run("process", "check", str(path))
    assert code == 0, out
    assert f"{path}: OK, Default B2B process" in out
    stages = re.findall(r"^\s+\d+\. ([A-Z][\w ]+?)(?: \(|$)", out, re.M)
    assert stages == [
        "Prospecting",
        "Qualification",
        "Discovery",
        "Proposal",
        "Negotiation",
        "Closed Won",
        "Closed Lost",
    ]
    assert "Closed Won (won)" in out and "usually 30 days" in out
    assert "Prospecting, 8 touches in 21 days: 8 touches over 21 days, for prospects" in out
    assert "Deal follow-through: 3 touches over 7 days, for deals in Proposal" in out


def test_check_a_bad_file_prints_every_problem_on_its_line_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BAD, encoding="utf-8")
    code, out = run("process", "check", str(path))
    assert code == 2
    problems = re.findall(rf"^{re.escape(str(path))}:(\d+): (.+)$", out, re.M)
    assert [line for line, _ in problems] == ["4", "10", "10"], out
    assert "'a lot of enthusiasm' is not a criterion" in problems[0][1]
    assert {"channel", "wait_days"} <= {m.split(":")[0].split(".")[-1] for _, m in problems[1:]}
    assert f"{path}: 3 problems" in out and "Traceback" not in out
    # A file that is not there, or not YAML, says so on the same terms.
    code, out = run("process", "check", str(tmp_path / "none.yaml"))
    assert code == 2 and "cannot read the process file" in out
    (tmp_path / "x.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    code, out = run("process", "check", str(tmp_path / "x.yaml"))
    assert code == 2 and re.search(rf"{re.escape(str(tmp_path / 'x.yaml'))}:2: not YAML", out)


def test_apply_show_and_list_versions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    code, out = run("process", "list", "--db", url)
    assert code == 0 and "No process applied yet" in out and "version 0" in out

    call_first = FILES / "call-first.yaml"
    code, out = run("process", "apply", str(call_first), "--by", "ada@example.com", "--db", url)
    assert code == 0 and "Applied version 1 (Call-first process)" in out, out
    code, out = run("process", "apply", str(call_first), "--db", url)
    assert code == 0 and "Version 1 (Call-first process) is already in force" in out

    bad = tmp_path / "broken.yaml"
    bad.write_text(BAD, encoding="utf-8")
    code, out = run("process", "apply", str(bad), "--db", url)
    assert code == 2 and f"{bad}:4: " in out and "nothing was applied" in out

    # show prints the YAML alone on stdout: it round-trips to the same version.
    shown = runner.invoke(app, ["process", "show", "--db", url], env={"COLUMNS": "250"})
    assert shown.exit_code == 0
    assert shown.stdout == call_first.read_text(encoding="utf-8")
    assert "version 1: Call-first process" in shown.stderr
    again = tmp_path / "again.yaml"
    again.write_text(shown.stdout, encoding="utf-8")
    code, out = run("process", "apply", str(again), "--db", url)
    assert "is already in force" in out

    default = runner.invoke(app, ["process", "show", "--default"])  # no database needed
    assert default.exit_code == 0
    assert default.stdout == (FILES / "default.yaml").read_text(encoding="utf-8")
    code, out = run("process", "apply", str(FILES / "default.yaml"), "--by", "bob", "--db", url)
    assert code == 0 and "Applied version 2 (Default B2B process)" in out
    shown = runner.invoke(app, ["process", "show", "--version", "1", "--db", url])
    assert shown.stdout == call_first.read_text(encoding="utf-8")

    code, out = run("process", "list", "--db", url)
    assert code == 0
    rows = re.findall(
        r"│ (\d+)\s+│ ([^│]+?)\s+│ (\d{4}-\d\d-\d\d \d\d:\d\d)\s+│ ([^│]+?)\s+│ ([^│]*?)\s*│", out
    )
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [
        ("2", "Default B2B process", "bob", "in force"),
        ("1", "Call-first process", "ada@example.com", ""),
    ], out
    assert "applied (UTC)" in out

    for args, said in (
        (("--version", "7"), "no process version 7: versions 1 to 2 were applied"),
        (("--version", "1", "--default"), "give --version N or --default, not both"),
    ):
        code, out = run("process", "show", *args, "--db", url)
        assert code == 2 and said in out and "Traceback" not in out
