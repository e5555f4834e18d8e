"""`lineclose calendar`: load and show the operator's working-day overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lineclose.bootstrap import bootstrap
from lineclose.config import Settings
from lineclose.errors import LinecloseError
from lineclose.services.calendars import list_days, read_schedule, set_days
from lineclose.services.context import Actor, Channel, Role

calendar_app = typer.Typer(help="Working-day calendars.", no_args_is_help=True)
console = Console()
CLI_ADMIN = Actor(Role.ADMIN, "cli", Channel.SYSTEM)


@calendar_app.command("load")
def load(
    country: Annotated[str, typer.Option(help="ISO country code, e.g. CN")],
    schedule: Annotated[Path, typer.Argument(help="CSV of date,off|working[,note]")],
) -> None:
    """Load an official holiday schedule; the days in it win over the calendar libraries."""
    app = bootstrap(Settings())
    try:
        days = read_schedule(schedule)
        with app.sessions.begin() as session:
            count = set_days(session, app.deps, CLI_ADMIN, country, days)
    except (LinecloseError, OSError) as exc:
        console.print(f"[red]cannot load[/red]: {getattr(exc, 'message', exc)}")
        raise typer.Exit(2) from None
    console.print(f"{count} days loaded for {country.upper()}")


@calendar_app.command("show")
def show(
    country: Annotated[str, typer.Option(help="ISO country code")],
    year: Annotated[int | None, typer.Option(help="only this year")] = None,
) -> None:
    """List the overrides in force."""
    app = bootstrap(Settings())
    try:
        with app.sessions() as session:
            days = list_days(session, CLI_ADMIN, country, year)
    except LinecloseError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from None
    table = Table("day", "kind", "note")
    for day in days:
        table.add_row(day.day.isoformat(), "working" if day.working else "off", day.note)
    console.print(table)
