"""`lineclose idle`: lines paying for nothing, and the reminder sweep."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lineclose.bootstrap import bootstrap
from lineclose.config import Settings
from lineclose.i18n import format_money
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.idle.sweep import sweep
from lineclose.services.reads.idle import list_idle_lines

idle_app = typer.Typer(help="Idle lines: no usage, still paying.", no_args_is_help=True)
console = Console()
CLI_ADMIN = Actor(Role.ADMIN, "cli", Channel.SYSTEM)


@idle_app.command("list")
def list_command(
    operator: Annotated[str | None, typer.Option(help="operator code")] = None,
    limit: int = 200,
) -> None:
    """Idle lines with the money at stake, most first, and totals per currency."""
    app = bootstrap(Settings())
    with app.sessions() as session:
        listing = list_idle_lines(session, app.deps, CLI_ADMIN, operator, limit)
    table = Table("number", "operator", "per month", "last used", "months", "paid idle", "reminded")
    for v in listing.lines:
        table.add_row(
            v.msisdn_masked,
            v.operator,
            format_money(v.monthly_fee_minor, v.currency, "en"),
            v.last_usage_on.isoformat(),
            str(v.months_idle),
            format_money(v.paid_while_idle_minor, v.currency, "en"),
            "STOP" if v.opted_out else (v.reminded_on.isoformat() if v.reminded_on else "-"),
        )
    console.print(table)
    for t in listing.totals:
        console.print(
            f"{t.lines} idle lines: {format_money(t.monthly_minor, t.currency, 'en')} a month, "
            f"{format_money(t.paid_while_idle_minor, t.currency, 'en')} paid while idle"
        )


@idle_app.command("sweep")
def sweep_command() -> None:
    """Remind idle lines now (the worker also runs this with its other sweeps)."""
    app = bootstrap(Settings())
    with app.sessions.begin() as session:
        report = sweep(session, app.deps)
    console.print(f"{report.reminded} lines reminded by SMS, {report.emailed} by e-mail")
