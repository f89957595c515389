"""Time-zone commands: ``org timezone`` (the org's zone) and ``users timezone`` (a user's own)."""

from __future__ import annotations

from typing import Annotated

import typer

from rightturn.cli.common import DbOption, app, console, errors, open_store
from rightturn.cli.web import users_app
from rightturn.crm.zones import (
    org_time_zone,
    org_zone_source,
    set_org_time_zone,
    set_user_time_zone,
)
from rightturn.errors import ParseError

org_app = typer.Typer(help="Org-wide settings.", no_args_is_help=True)
app.add_typer(org_app, name="org")


@org_app.command("timezone")
@errors
def org_timezone(
    zone: Annotated[
        str | None,
        typer.Argument(help="An IANA zone (Europe/Berlin) to set; none shows the current one."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Show or set the org's time zone: the panel shows times in it (unless a user picks their
    own) and counts days in it. Until set, it is inferred from the reps' working hours."""
    with open_store(db).session() as s:
        if zone is not None:
            set_org_time_zone(s, zone)
        found, source = org_time_zone(s), org_zone_source(s)
    console.print(f"Org time zone: [bold]{found}[/] ({source}).", highlight=False)


@users_app.command("timezone")
@errors
def users_timezone(
    email: Annotated[str, typer.Argument(help="The user's email.")],
    zone: Annotated[
        str | None, typer.Argument(help="An IANA zone (America/Los_Angeles) they read times in.")
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Drop their own zone: they read the org's.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Set the time zone a user reads the panel's times in, or --clear it to follow the org's."""
    if (zone is None) == (not clear):
        raise ParseError("give a ZONE (like Europe/Berlin) or --clear, not both or neither")
    with open_store(db).session() as s:
        stored = set_user_time_zone(s, email, zone)
        org = org_time_zone(s)
    shown = stored or f"the org's, {org}"
    console.print(f"{email.strip().lower()} reads times in {shown}.", highlight=False)
