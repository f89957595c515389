"""What every command shares: the Typer app, consoles, the --db option, error translation,
progress displays and number formatting."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from rightturn import __version__
from rightturn.config import load_settings
from rightturn.crm.store import Store
from rightturn.errors import ParseError, RightturnError

app = typer.Typer(
    name="rightturn",
    help="Sales management in the system: capture, associate, inspect, measure, forecast.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
import_app = typer.Typer(help="Import CRM data (upserts by id: re-running changes nothing).")
app.add_typer(import_app, name="import")

console = Console()
err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL. Default: $RIGHTTURN_DB, else sqlite:///rightturn.db.",
        show_default=False,
    ),
]
F = TypeVar("F", bound=Callable[..., Any])


def errors(func: F) -> F:
    """Turn rightturn's errors into a one-line message and exit code 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RightturnError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        console.print(f"rightturn {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """rightturn: sales management in the system."""


def open_store(db: str | None) -> Store:
    return Store.open(load_settings(db).db_url)


@contextmanager
def steps(label: str) -> Iterator[Callable[[str], None]]:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)
        yield lambda step: bar.update(task, description=f"{label}: {step}")


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else many or one + 's'}"


def money(value: Any) -> str:
    """Dollars without cents; a dash for a figure that could not be computed."""
    return "—" if value is None else f"${value:,.0f}"


def day(value: str | None, flag: str) -> date | None:
    """A YYYY-MM-DD flag value as a date (None when not given); an error naming the flag."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ParseError(f"{flag} {value!r} is not a date; write it as YYYY-MM-DD") from None
