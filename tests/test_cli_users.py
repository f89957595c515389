"""`rightturn users password` and `rightturn users unlock`: an admin's way out of a lockout."""

from __future__ import annotations

import re
from pathlib import Path

from rightturn.crm.signin import failed, retry_after
from rightturn.crm.store import Store
from rightturn.crm.users import authenticate
from tests.test_cli import run

SECRET = "a long enough secret"


def test_password_and_unlock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'u.db'}"
    env = {"RIGHTTURN_PASSWORD": SECRET}
    assert run("users", "add", "boss@example.com", "--role", "admin", "--db", url, env=env)[0] == 0

    code, out = run("users", "password", "boss@example.com", "--generate", "--db", url)
    assert code == 0 and "sessions have ended" in out
    generated = re.findall(r"^([A-Za-z0-9]{16})$", out, re.M)
    assert len(generated) == 1
    with Store.open(url) as store:
        assert authenticate(store, "boss@example.com", SECRET) is None
        assert authenticate(store, "boss@example.com", generated[0]) is not None

    code, out = run("users", "password", "boss@example.com", "--db", url, env=env)
    assert code == 0 and SECRET not in out
    code, out = run("users", "password", "ghost@example.com", "--db", url, env=env)
    assert code == 2 and "users list" in out
    code, out = run("users", "password", "boss@example.com", "--db", url)
    assert code == 2 and "--generate" in out  # no terminal, no variable, no flag

    with Store.open(url) as store:
        for _ in range(5):
            failed(store, "198.51.100.7", "boss@example.com")
        assert retry_after(store, "198.51.100.7", "boss@example.com") > 0
    code, out = run("users", "unlock", "Boss@Example.com", "--db", url)
    assert code == 0 and "Forgot 5 failed sign-ins for Boss@Example.com" in out
    with Store.open(url) as store:
        assert retry_after(store, "198.51.100.7", "boss@example.com") == 0
        failed(store, "198.51.100.7", "x@example.com")
    code, out = run("users", "unlock", "--address", "198.51.100.7", "--db", url)
    assert code == 0 and "Forgot 1 failed sign-in for address 198.51.100.7" in out
    code, out = run("users", "unlock", "--db", url)
    assert code == 2 and "email or an address" in out
