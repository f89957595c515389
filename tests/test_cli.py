"""The command line as a user runs it: real databases, real files, exit codes and messages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rightturn.cli import app
from tests.crm.test_import_canonical import FILES, write

runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    # A wide terminal, so Rich does not wrap the lines the assertions look for.
    result = runner.invoke(app, list(args), env={"COLUMNS": "250", **(env or {})})
    return result.exit_code, result.output


def test_init_creates_then_reports_up_to_date(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    code, out = run("init", "--db", url)
    assert code == 0 and "Created database" in out
    code, out = run("init", "--db", url)
    assert code == 0 and "is up to date" in out


def test_db_defaults_to_the_environment_variable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    code, _ = run("init", env={"RIGHTTURN_DB": url})
    assert code == 0
    assert (tmp_path / "env.db").exists()


def test_import_crm_prints_a_summary_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    folder = write(tmp_path / "crm", FILES)
    code, out = run("import", "crm", str(folder), "--db", url)
    assert code == 0, out
    assert "opportunities.csv" in out and "created" in out
    code, out = run("import", "crm", str(folder), "--db", url)
    assert code == 0
    assert "Nothing changed" in out
    code, out = run("summary", "--db", url)
    assert code == 0
    assert "win rate 50.0%" in out  # one won, one lost in FILES
    assert "Proposal" in out


def test_rejected_rows_are_listed_and_kept_in_the_quarantine(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    files = dict(FILES)
    files["reps.csv"] = [*FILES["reps.csv"], "R3,Carl,carl@seller.io,,East,M1,lots"]
    folder = write(tmp_path / "crm", files)
    code, out = run("import", "crm", str(folder), "--db", url)
    assert code == 0
    assert "reps.csv:5: quota 'lots' is not a number" in out
    code, out = run("quarantine", "--db", url)
    assert code == 0 and "quota 'lots' is not a number" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("import", "crm", "/no/such/folder"), "/no/such/folder is not a folder"),
        (("import", "maven", "/no/such/folder"), "/no/such/folder is not a folder"),
        (("summary", "--db", "not-a-url"), "is not a URL"),
    ],
)
def test_errors_name_the_input_and_exit_2_without_a_traceback(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    env = {"RIGHTTURN_DB": f"sqlite:///{tmp_path / 'x.db'}"}
    code, out = run(*args, env=env)
    assert code == 2
    assert message in out
    assert "Traceback" not in out


def test_an_out_of_date_database_tells_the_user_to_run_init(tmp_path: Path) -> None:
    from rightturn.crm.store import Store

    url = f"sqlite:///{tmp_path / 'old.db'}"
    Store(url).upgrade("0001")
    code, out = run("summary", "--db", url)
    assert code == 2 and "rightturn init" in out
    assert run("init", "--db", url)[0] == 0
    assert run("summary", "--db", url)[0] == 0


@pytest.mark.slow
def test_demo_builds_an_org_imports_it_and_refuses_to_overwrite_without_fresh(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    org = tmp_path / "org"
    code, out = run(
        "demo", "--db", url, "--reps", "3", "--months", "2", "--keep", str(org), "--no-serve"
    )
    assert code == 0, out
    assert "win rate" in out and "Open pipeline by stage" in out
    # The printed logins work.
    from rightturn.crm.store import Store
    from rightturn.crm.users import authenticate

    logins = re.findall(r"(\S+@demo\.rightturn)\s*│\s*(\S+)\s*│\s*(manager|rep)\s*│", out)
    assert {role for _, _, role in logins} == {"manager", "rep"}, out
    with Store.open(url) as store:
        for email, password, role in logins:
            account = authenticate(store, email, password)
            assert account is not None and account.role == role
    assert (org / "crm" / "opportunities.csv").is_file()
    assert any((org / "mail").glob("*.mbox"))
    code, out = run("demo", "--db", url, "--reps", "3", "--months", "2", "--no-serve")
    assert code == 2 and "--fresh" in out
    code, out = run("demo", "--db", url, "--reps", "3", "--months", "2", "--fresh", "--no-serve")
    assert code == 0, out


def test_capture_review_export_evaluate_and_blocklist_from_the_command_line(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    org = tmp_path / "org"
    assert (
        run("simulate", "--out", str(org), "--reps", "3", "--months", "2", "--end", "2026-06-30")[0]
        == 0
    )
    assert run("import", "crm", str(org / "crm"), "--db", url)[0] == 0
    code, out = run("blocklist", "add", "Someone@Example.COM", "gmail.com", "--db", url)
    assert code == 0 and "Added 2 entries" in out
    code, out = run("blocklist", "list", "--db", url)
    assert "someone@example.com" in out and "gmail.com" in out
    code, out = run("capture", "org", str(org), "--db", url)
    assert code == 0, out
    assert "new activities stored" in out and "rep hours" in out
    assert "filtered: blocklist" in out  # gmail.com personal mail is now blocked outright
    code, out = run("capture", "org", str(org), "--db", url)
    assert code == 0 and "new activities stored" in out
    code, out = run(
        "activities", "export", "--format", "csv", "--db", url, "--output", str(tmp_path / "a.csv")
    )
    header = (tmp_path / "a.csv").read_text().splitlines()[0]
    assert header.startswith("activity_id,kind,source,source_id,occurred_at,direction,rep_id")
    code, out = run("activities", "export", "--dropped", "--db", url)
    assert code == 0 and "blocklist" in out and "internal" in out
    code, out = run("evaluate", "association", "--truth", str(org / "truth"), "--db", url)
    assert code == 0 and "opportunity" in out and "precision" in out
    code, out = run("review", "--db", url)
    assert code == 0 and ("Needs review" in out or "Nothing needs review" in out)
    code, out = run("activities", "export", "--format", "json", "--db", url)
    assert code == 2 and "--format csv" in out


def test_users_add_token_and_list(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'u.db'}"
    folder = write(tmp_path / "crm", FILES)
    assert run("import", "crm", str(folder), "--db", url)[0] == 0
    secret = "a long enough secret"
    code, out = run("users", "add", "boss@example.com", "--role", "admin", "--db", url)
    assert code == 2 and "RIGHTTURN_PASSWORD" in out  # no terminal, no variable: no password
    code, out = run(
        "users", "add", "Boss@Example.com", "--role", "admin", "--db", url,
        env={"RIGHTTURN_PASSWORD": secret},
    )  # fmt: skip
    assert code == 0 and "boss@example.com (admin)" in out
    assert secret not in out
    code, out = run(
        "users", "add", "rep@example.com", "--role", "rep", "--db", url,
        env={"RIGHTTURN_PASSWORD": secret},
    )  # fmt: skip
    assert code == 2 and "--rep-id" in out
    code, out = run(
        "users", "add", "x@example.com", "--role", "rep", "--rep-id", "NOPE", "--db", url,
        env={"RIGHTTURN_PASSWORD": secret},
    )  # fmt: skip
    assert code == 2 and "no rep 'NOPE'" in out
    code, out = run(
        "users", "add", "short@example.com", "--role", "admin", "--db", url,
        env={"RIGHTTURN_PASSWORD": "short"},
    )  # fmt: skip
    assert code == 2 and "too short" in out
    code, out = run("users", "token", "boss@example.com", "--db", url)
    assert code == 0
    token = re.search(r"rt_[\w-]{20,}", out).group(0)
    from fastapi.testclient import TestClient

    from rightturn.crm.store import Store
    from rightturn.web.app import create_app

    with Store.open(url) as store:
        client = TestClient(create_app(store), base_url="https://testserver")
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["email"] == "boss@example.com"
        from sqlalchemy import select

        from rightturn.crm.model import ApiToken, User

        with store.session() as s:
            # Neither the token nor the password is stored, only their hashes.
            import hashlib

            stored = {t.token_hash for t in s.scalars(select(ApiToken))}
            assert hashlib.sha256(token.encode()).hexdigest() in stored
            assert not any(token in h for h in stored)
            hashes = [u.password_hash for u in s.scalars(select(User))]
            assert all(h.startswith("$argon2id$") and secret not in h for h in hashes)
    code, out = run("users", "list", "--db", url)
    assert code == 0 and "boss@example.com" in out and "admin" in out
    assert run("users", "token", "ghost@example.com", "--db", url)[0] == 2


def test_users_add_takes_a_team_as_people_write_it_and_summary_lists_the_teams(
    tmp_path: Path, db_url: str
) -> None:
    from tests.crm.test_teams import REPS

    folder = write(tmp_path / "crm", {**FILES, "reps.csv": REPS})
    assert run("import", "crm", str(folder), "--db", db_url)[0] == 0
    code, out = run("summary", "--db", db_url)
    assert code == 0
    assert re.search(r"East 1\s+│ east-1\s+│ Maria Manager\s+│\s+2 │", out), out
    assert re.search(r"West Coast\s+│ west-coast\s+│ Wanda West\s+│\s+1 │", out), out
    password = {"RIGHTTURN_PASSWORD": "a long enough secret"}
    for given in ("East 1", "east 1", "east-1"):
        code, out = run(
            "users", "add", "lead@example.com", "--role", "manager", "--team", given,
            "--db", db_url, env=password,
        )  # fmt: skip
        assert code == 0, out
        assert "sees team East 1." in out  # the name, whatever was typed
    code, out = run("users", "list", "--db", db_url)
    assert re.search(r"lead@example\.com\s+│ manager\s+│\s+│ East 1", out), out
    code, out = run(
        "users", "add", "lead@example.com", "--role", "manager", "--team", "North 3",
        "--db", db_url, env=password,
    )  # fmt: skip
    assert code == 2 and "Traceback" not in out
    message = " ".join(out.split())  # Rich wraps long messages
    assert "no team 'North 3'" in message
    assert '"East 1" (id east-1), "West Coast" (id west-coast)' in message
    code, out = run(
        "whatif", "--from", "0.2", "--to", "0.3", "--team", "west coast", "--db", db_url
    )
    assert code == 0 and "for team West Coast" in out


@pytest.mark.slow
def test_serve_answers_on_loopback(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    url = f"sqlite:///{tmp_path / 's.db'}"
    assert run("init", "--db", url)[0] == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "rightturn", "serve", "--db", url, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as answer:
                    assert answer.status == 200
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not answer within 10 s")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/me")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
        else:
            raise AssertionError("an anonymous API call was answered")
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/" in out


def test_review_pages_filters_and_files_a_contacts_items(tmp_path: Path) -> None:
    import re

    from rightturn.crm.store import Store
    from tests.associate.test_review import build_queue

    url = f"sqlite:///{tmp_path / 'q.db'}"
    store = Store.open(url)
    queue = build_queue(store, tmp_path, carol=6, dan=3, calls=2, erin=2)
    store.close()
    code, out = run("review", "--db", url, "--limit", "5", "--rep", "R1")
    assert code == 0 and "1-5 of 9 threads" in out and "Carol Buyer" in out
    assert "Acme - Atlas" in out and "Alice Rep" in out
    cursor = re.search(r"--cursor (\S+)`", out).group(1)
    code, out = run("review", "--db", url, "--limit", "5", "--rep", "R1", "--cursor", cursor)
    assert code == 0 and "6-9 of 9 threads" in out and "--cursor" not in out.split("Resolve")[0]
    assert run("review", "--db", url, "--cursor", "nope")[0] == 2
    assert run("review", "--db", url, "--order", "sideways")[0] == 2
    code, out = run(
        "review", "--db", url, "--resolve", str(queue.carol[0]), "--opportunity", "O1",
        "--same-contact",
    )  # fmt: skip
    assert code == 0 and "Filed 7 waiting items" in out  # Carol's six with Alice, one with Bob
    code, out = run("review", "--db", url, "--kind", "call")
    assert code == 0 and "1-2 of 2 threads" in out


def test_org_and_user_time_zones_are_shown_set_and_refused_by_name(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tz.db'}"
    assert run("init", "--db", url)[0] == 0
    code, out = run("org", "timezone", "--db", url)
    assert code == 0 and "Org time zone: UTC" in out and "no working day" in out
    code, out = run("org", "timezone", "america/los_angeles", "--db", url)
    assert code == 0 and "America/Los_Angeles (set by an admin)" in out
    code, out = run("org", "timezone", "Mars/Olympus", "--db", url)
    assert code == 2 and "'Mars/Olympus' is not an IANA time zone" in out
    assert "Europe/Berlin" in out and "Traceback" not in out
    code, out = run("org", "timezone", "--db", url)
    assert code == 0 and "Org time zone: America/Los_Angeles" in out  # the refusal changed nothing
    env = {"RIGHTTURN_PASSWORD": "a long enough secret"}
    assert run("users", "add", "boss@example.com", "--role", "admin", "--db", url, env=env)[0] == 0
    code, out = run("users", "timezone", "Boss@example.com", "Asia/Tokyo", "--db", url)
    assert code == 0 and "boss@example.com reads times in Asia/Tokyo" in out
    code, out = run("users", "timezone", "boss@example.com", "Asia/Tokio", "--db", url)
    assert code == 2 and "'Asia/Tokio'" in out and "did you mean Asia/Tokyo" in out
    code, out = run("users", "timezone", "ghost@example.com", "Asia/Tokyo", "--db", url)
    assert code == 2 and "no user 'ghost@example.com'" in out
    assert run("users", "timezone", "boss@example.com", "--db", url)[0] == 2  # no zone, no --clear
    code, out = run("users", "timezone", "boss@example.com", "--clear", "--db", url)
    assert code == 0 and "reads times in the org's, America/Los_Angeles" in out
