"""Commands of the web layer: ``serve`` and ``users`` (add, password, unlock, token, list)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from rightturn.cli.common import DbOption, app, console, err, errors, open_store
from rightturn.config import load_settings, secret
from rightturn.crm import signin
from rightturn.crm.model import USER_ROLES
from rightturn.crm.store import redact
from rightturn.crm.users import Account, add_user, issue_token, list_users, set_password
from rightturn.errors import ConfigError

PASSWORD_ENV = "RIGHTTURN_PASSWORD"
users_app = typer.Typer(help="People who sign in to the panel and API.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@app.command()
@errors
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
) -> None:
    """Serve the control panel and the REST API (/api/v1, docs at /api/v1/docs)."""
    serve_app(db, host, port)


def serve_app(db: str | None, host: str, port: int) -> None:
    """Run the app with uvicorn until interrupted."""
    import uvicorn

    from rightturn.web.app import create_app

    settings = load_settings(db)
    store = open_store(db)
    shown = f"[{host}]" if ":" in host else host
    console.print(
        f"Serving {redact(store.url)} at [bold]http://{shown}:{port}/[/] "
        f"(API: http://{shown}:{port}/api/v1/docs). Ctrl+C stops."
    )
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(
            "[yellow]warning:[/] listening beyond this machine: put it behind TLS "
            "(cookies are marked Secure, so sign-in needs https)."
        )
    uvicorn.run(create_app(store, settings), host=host, port=port, log_level="warning")


@users_app.command("add")
@errors
def users_add(
    email: Annotated[str, typer.Argument(help="The user's email (their sign-in name).")],
    role: Annotated[str, typer.Option(help=f"One of {', '.join(USER_ROLES)}.")],
    rep_id: Annotated[
        str | None, typer.Option("--rep-id", help="For a rep: the rep whose records they see.")
    ] = None,
    team: Annotated[
        str | None,
        typer.Option(
            help='For a manager: the team whose records they see, by name ("East 1") or id.'
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Add a user, or reset one's password and role. The password comes from $RIGHTTURN_PASSWORD
    or a prompt, never a flag (flags land in shell history)."""
    password = secret(PASSWORD_ENV)
    if password is None:
        if not console.is_terminal:
            raise ConfigError(f"set {PASSWORD_ENV} or run in a terminal to type the password")
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    account = add_user(open_store(db), email, password, role=role, rep_id=rep_id, team=team)
    console.print(f"User {account.email} ({account.role}) can sign in; sees {_sees(account)}.")


@users_app.command("password")
@errors
def users_password(
    email: Annotated[str, typer.Argument(help="The user whose password to set.")],
    generate: Annotated[
        bool, typer.Option(help="Make up a strong password and print it once.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Set a user's password and sign them out everywhere. The password comes from
    $RIGHTTURN_PASSWORD, a prompt, or --generate; never a flag (flags land in shell history)."""
    password = None if generate else secret(PASSWORD_ENV)
    if password is None and not generate:
        if not console.is_terminal:
            raise ConfigError(
                f"set {PASSWORD_ENV}, pass --generate, or run in a terminal to type the password"
            )
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    chosen = set_password(open_store(db), email, password)
    console.print(f"{email} has a new password; their sessions have ended.")
    if generate:
        err.print("The new password (shown once, kept nowhere):")
        print(chosen)


@users_app.command("unlock")
@errors
def users_unlock(
    email: Annotated[
        str | None, typer.Argument(help="The account whose failed sign-ins to forget.")
    ] = None,
    address: Annotated[
        str | None, typer.Option(help="Also (or only) forget the failures from this address.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Let a user (or an address) try to sign in again at once, forgetting failed attempts."""
    cleared = signin.unlock(open_store(db), email=email, address=address)
    who = " and ".join(part for part in (email, address and f"address {address}") if part)
    console.print(f"Forgot {cleared} failed sign-in{'s' * (cleared != 1)} for {who}.")


@users_app.command("token")
@errors
def users_token(
    email: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[str | None, typer.Option(help="What the token is for.")] = None,
    db: DbOption = None,
) -> None:
    """Print a new API token (send it as `Authorization: Bearer TOKEN`). Shown once."""
    token = issue_token(open_store(db), email, label=label)
    err.print(f"A new API token for {email}; it is not stored and cannot be shown again:")
    print(token)


@users_app.command("list")
@errors
def users_list(db: DbOption = None) -> None:
    """Everyone who can sign in."""
    table = Table("email", "role", "rep", "team")
    for a in list_users(open_store(db)):
        table.add_row(a.email, a.role, a.rep_id or "", a.team or "")
    console.print(table)


def _sees(account: Account) -> str:
    """Whose records a user sees, by name: ``team East 1``, ``rep R0001``, ``everything``."""
    if account.role == "manager":
        return f"team {account.team}"
    return f"rep {account.rep_id}" if account.role == "rep" else "everything"


def render_logins(users: list[tuple[str, str, Account]], port: int) -> None:
    """The demo's sign-ins (passwords are new each run and kept nowhere)."""
    if not users:
        return
    table = Table("sign in as", "password", "role", "sees", title="Panel logins")
    for email, password, account in users:
        table.add_row(email, password, account.role, _sees(account))
    console.print(table)
    console.print(
        f"Open http://127.0.0.1:{port}/ and sign in. API tokens: `rightturn users token EMAIL`."
    )
