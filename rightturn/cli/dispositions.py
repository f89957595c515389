"""``rightturn disposition``: record a rep's decision on a prospect or a deal."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from rightturn.cli.common import DbOption, app, console, day, errors, open_store
from rightturn.cli.process import _login_name


@app.command()
@errors
def disposition(
    kind: Annotated[
        str,
        typer.Argument(
            help="qualify, disqualify (needs --reason), postpone (needs --on: until), archive, "
            "revisit (needs --on).",
            show_default=False,
        ),
    ],
    rep: Annotated[str, typer.Option("--rep", help="The rep: an id, or a rep's unique name.")],
    contact: Annotated[
        str | None, typer.Option("--contact", help="The contact (a prospect) it is about.")
    ] = None,
    opportunity: Annotated[
        str | None, typer.Option("--opportunity", help="The deal it is about.")
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason",
            help="Disqualify: one of the process's reasons (`rightturn process show`). Others: "
            "an optional note.",
        ),
    ] = None,
    on: Annotated[
        str | None,
        typer.Option("--on", help="Postpone until, or revisit on, this day (YYYY-MM-DD)."),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Who decides (a name or email). Default: your login name."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Record a disposition on one contact or one deal: it ends the rep's prospecting sequence
    to the contact, and a postpone or revisit comes back on the rep's day on its date."""
    from rightturn.crm.scope import Scope
    from rightturn.process.dispositions import record_disposition
    from rightturn.process.today import resolve_rep

    store = open_store(db)
    rep_id = resolve_rep(store, rep)
    done = record_disposition(
        store,
        rep_id=rep_id,
        kind=kind.strip().lower(),
        contact_id=contact,
        opportunity_id=opportunity,
        reason=reason,
        on_date=day(on, "--on"),
        who=by or _login_name(),
        scope=Scope.everything(),
    )
    subject = (
        f"contact {done.contact or done.contact_id}"
        if done.contact_id
        else f"deal {done.opportunity or done.opportunity_id}"
    )
    details = [f"until {done.on_date}" if done.kind == "postpone" else ""]
    details.append(f"on {done.on_date}" if done.kind == "revisit" else "")
    details.append(f"reason: {done.reason}" if done.reason else "")
    said = "; ".join(x for x in details if x)
    console.print(
        escape(
            f"Recorded {done.kind} of {subject} for {done.rep or rep_id}"
            f"{f' ({said})' if said else ''}, by {done.decided_by} (disposition {done.id})."
        ),
        highlight=False,
    )
