"""`lineclose report`: the regulator's disconnection file and staff reports, as CSV."""

from __future__ import annotations

import csv
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lineclose.bootstrap import App, bootstrap
from lineclose.config import Settings
from lineclose.errors import LinecloseError
from lineclose.logs import configure_logging
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.reports.disconnections import (
    disconnection_report,
    render_plain,
    render_rnd,
)
from lineclose.services.reports.staff import staff_report

report_app = typer.Typer(help="Regulator files and staff reports (CSV).", no_args_is_help=True)
console = Console(stderr=True)
_STAFF = Actor(Role.ADMIN, "cli", Channel.SYSTEM)


def _app() -> App:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return bootstrap(settings)


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(str(out))


@report_app.command("disconnections")
def disconnections(
    operator: Annotated[str, typer.Option(help="operator code")],
    due: Annotated[str, typer.Option(help="the file's due date, YYYY-MM-15")],
    plain: Annotated[bool, typer.Option("--plain", help="plain CSV for other regulators")] = False,
    out: Annotated[Path | None, typer.Option(help="write to this file instead of stdout")] = None,
) -> None:
    """The US Reassigned Numbers Database monthly file (permanent disconnections through the 10th)."""
    try:
        due_day = date.fromisoformat(due)
    except ValueError:
        console.print("[red]invalid_due[/red]: --due must be a date YYYY-MM-15")
        raise typer.Exit(2) from None
    lc = _app()
    try:
        with lc.sessions() as session:
            report = disconnection_report(session, _STAFF, operator, due_day)
    except LinecloseError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from None
    _emit(render_plain(report) if plain else render_rnd(report), out)


@report_app.command("staff")
def staff(
    name: Annotated[str, typer.Argument(help="refunds, debts, closures or reviews")],
    out: Annotated[Path | None, typer.Option(help="write to this file instead of stdout")] = None,
) -> None:
    """Refunds by state and age, debts, closures by channel, or review times against due dates."""
    lc = _app()
    try:
        with lc.sessions() as session:
            header, rows = staff_report(session, _STAFF, name, lc.deps.clock.now())
    except LinecloseError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from None
    target = sys.stdout if out is None else out.open("w", newline="", encoding="utf-8")
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    if out is not None:
        target.close()
        console.print(str(out))
