"""`lineclose outbox`: the steps staff must look at (dead letters, uncertain notices) and retrying
them. The same lists and retry as `GET /api/v1/outbox/dead` and `POST /api/v1/outbox/{id}/retry`."""

from __future__ import annotations

from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from lineclose.bootstrap import bootstrap
from lineclose.config import Settings
from lineclose.db.models import OutboxRow
from lineclose.errors import LinecloseError
from lineclose.logs import configure_logging
from lineclose.services import operations
from lineclose.services.context import Actor, Channel, Role

outbox_app = typer.Typer(help="Dead letters and uncertain notices.", no_args_is_help=True)
console = Console()

_OPERATOR = Actor(Role.ADMIN, "cli", Channel.SYSTEM)


@outbox_app.command("list")
def list_steps(
    status: Annotated[
        str, typer.Option(help="dead (failed for good) or uncertain (may have been sent)")
    ] = "dead",
) -> None:
    """List the steps given up on, oldest first."""
    if status not in ("dead", "uncertain"):
        console.print("[red]invalid_status[/red]: --status is dead or uncertain")
        raise typer.Exit(2)
    chosen: Literal["dead", "uncertain"] = "dead" if status == "dead" else "uncertain"
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    lc = bootstrap(settings)
    table = Table("id", "step", "key", "attempts", "last error")
    with lc.sessions() as session:
        rows = session.execute(
            select(OutboxRow).where(OutboxRow.status == chosen).order_by(OutboxRow.id)
        ).scalars()
        for row in rows:
            table.add_row(
                str(row.id), row.step, row.idempotency_key, str(row.attempts), row.last_error or ""
            )
    console.print(table)


@outbox_app.command("retry")
def retry(row_id: int) -> None:
    """Put a dead or uncertain step back in the queue (an uncertain notice is sent again)."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    lc = bootstrap(settings)
    try:
        with lc.sessions.begin() as session:
            operations.retry_dead_letter(session, lc.deps, _OPERATOR, row_id)
    except LinecloseError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from None
    console.print(f"step {row_id} is pending again")
