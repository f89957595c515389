"""`rightturn process check|apply|show|list|compare`: a process file checked with every problem
on its line, applied as versions, printed back and listed; two versions compared."""

from __future__ import annotations

import json
import re
from pathlib import Path

from rightturn.cli import app
from rightturn.crm.store import Store
from rightturn.process.compare import CONTRACT_KEYS
from rightturn.process.definition import FILES
from tests.process.test_compare import AS_OF, T0, WINDOW, Plan, spread, two_versions
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


def test_compare_sets_the_weeks_before_and_after_a_change_side_by_side(store: Store) -> None:
    two_versions(store)
    spread(store, T0 - WINDOW, [Plan(1, reply=3 if i < 4 else None) for i in range(40)])
    spread(store, T0, [Plan(3, reply=6 if i < 24 else None) for i in range(40)])
    as_of = AS_OF.date().isoformat()
    code, out = run("process", "compare", "2", "1", "--as-of", as_of, "--db", store.url)
    assert code == 0, out
    assert (
        "Process change: version 1 (Light-touch prospecting) → version 2 (Call-first process) "
        "(version 2 came later, so it is after)" in out
    )
    assert "Windows of 56 days each" in out
    assert "before: 2026-01-05 09:00 to 2026-03-02 09:00, 40 prospect sequences" in out
    assert "after:  2026-03-02 09:00 to 2026-04-27 09:00, 40 prospect sequences" in out
    row = next(line for line in out.splitlines() if "Prospects who responded" in line)
    cells = [c.strip() for c in row.split("│")[1:-1]]
    assert cells[1:4] == ["10%", "4%–23%", "40"]
    assert cells[4:7] == ["60%", "45%–74%", "40"]  # Wilson: 0.446 to 0.737
    assert cells[7].startswith("+50.0 pts (") and cells[8] == "better"
    touches = next(line for line in out.splitlines() if "Touches per prospect" in line)
    assert "more" in touches and "better" not in touches
    assert "Wilson" in out and "not a controlled trial" in out

    result = runner.invoke(
        app, ["process", "compare", "1", "2", "--as-of", as_of, "--json", "--db", store.url]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert tuple(body) == CONTRACT_KEYS["top"]
    assert body["before"]["version"] == 1 and body["after"]["version"] == 2
    assert body["before"]["to"] == body["after"]["from"] == T0.isoformat()
    replied = next(m for m in body["metrics"] if m["key"] == "prospect_response_rate")
    assert tuple(replied) == CONTRACT_KEYS["metric"]
    assert (replied["before"], replied["after"], replied["verdict"]) == (0.1, 0.6, "better")
    assert (replied["before_n"], replied["after_n"]) == (40, 40)
    assert replied["change_ci"][0] > 0 and len(replied["change_ci"]) == 2


def test_compare_errors_say_what_to_do(store: Store) -> None:
    two_versions(store)
    spread(store, T0 - WINDOW, [Plan(1)] * 5)
    for args, said in (
        (("1", "1"), "version 1 twice: compare two different versions"),
        (("1", "9"), "no process version 9: versions 1 to 2 were applied"),
        (("1", "2"), "no prospecting sequence started in the after window, version 2"),
        (("1", "2", "--as-of", "2026-03-10"), "no after window yet"),
        (("1", "2", "--as-of", "2026-31-03"), "--as-of '2026-31-03' is not a date"),
    ):
        code, out = run("process", "compare", *args, "--db", store.url)
        assert code == 2 and said in out and "Traceback" not in out, (args, out)
