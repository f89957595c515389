"""``rightturn today``: a rep's guided day, what to do in order, each with why."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from rightturn.cli.common import DbOption, app, console, day, errors, open_store

# What each kind of item asks the rep to do, in words.
WHAT = {
    "reply_due": "Answer",
    "touch_due": "Touch",
    "deal_dark": "Re-engage (dark)",
    "stalled": "Move on (stalled)",
    "disposition_due": "Decide",
    "new_prospect": "Start prospect",
}


@app.command()
@errors
def today(
    rep: Annotated[str, typer.Option("--rep", help="The rep: an id, or a rep's unique name.")],
    db: DbOption = None,
    on: Annotated[
        str | None,
        typer.Option("--date", help="The day to plan (YYYY-MM-DD, a UTC day). Default: today."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the list: kind, account_id, contact_id, opportunity_id, due, reason, "
            "score.",
        ),
    ] = False,
) -> None:
    """A rep's guided day: replies to answer, cadence touches due, dark and stalled deals and
    new prospects to start, ranked by urgency and expected value."""
    from rightturn.crm.model import Rep
    from rightturn.crm.scope import Scope
    from rightturn.process.today import guided_day, resolve_rep

    store = open_store(db)
    rep_id = resolve_rep(store, rep)
    when = day(on, "--date") or datetime.now(UTC).date()
    items = guided_day(store, rep_id, day=when, scope=Scope.everything())
    if as_json:
        print(json.dumps([i.contract() for i in items], indent=2))
        return
    with store.session() as s:
        rep_row = s.get(Rep, rep_id)
    name = rep_row.name if rep_row is not None and rep_row.name else rep_id
    table = Table(title=f"{name}'s day, {when.isoformat()}: {len(items)} to do")
    for column in ("#", "what", "who", "account", "deal", "due", "why"):
        table.add_column(column, justify="right" if column == "#" else "left")
    for n, item in enumerate(items, 1):
        who = ", ".join(x for x in (item.contact, item.contact_title) if x) or "—"
        table.add_row(
            str(n),
            WHAT[item.kind],
            who,
            item.account or "—",
            item.opportunity or "—",
            item.due.isoformat(),
            item.reason,
        )
    console.print(table)
