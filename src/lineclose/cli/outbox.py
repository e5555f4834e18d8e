"""`lineclose outbox`: the steps staff must look at (dead letters, uncertain notices) and retrying
them. The same lists and retry as `GET /api/v1/outbox/dead` and `POST /api/v1/outbox/{id}/retry`."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lineclose.bootstrap import bootstrap
from lineclose.config import Settings
from lineclose.errors import LinecloseError
from lineclose.logs import configure_logging
from lineclose.services import operations
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.reads.bulk_lines import operator_by_code
from lineclose.services.reads.outbox import dead_letters, ensure_can_touch_step
from lineclose.services.unit_of_work import Session

outbox_app = typer.Typer(help="Dead letters and uncertain notices.", no_args_is_help=True)
console = Console()

_OPERATOR = Actor(Role.ADMIN, "cli", Channel.SYSTEM)


@outbox_app.command("list")
def list_steps(
    status: Annotated[
        str, typer.Option(help="dead (failed for good) or uncertain (may have been sent)")
    ] = "dead",
    operator: Annotated[
        str | None, typer.Option(help="only the steps of this operator's requests (its code)")
    ] = None,
) -> None:
    """List the steps given up on, oldest first."""
    if status not in ("dead", "uncertain"):
        console.print("[red]invalid_status[/red]: --status is dead or uncertain")
        raise typer.Exit(2)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    lc = bootstrap(settings)
    table = Table("id", "step", "key", "attempts", "last error")
    try:
        with lc.sessions() as session:
            actor = _acting_for(session, operator)
            for row in dead_letters(session, actor, (status,)):
                table.add_row(
                    str(row.id), row.step, row.key, str(row.attempts), row.last_error or ""
                )
    except LinecloseError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from None
    console.print(table)


def _acting_for(session: Session, operator: str | None) -> Actor:
    """The CLI acts as an admin of every operator, or of the one named."""
    if operator is None:
        return _OPERATOR
    return replace(_OPERATOR, operator_id=operator_by_code(session, operator).id)


@outbox_app.command("retry")
def retry(
    row_id: int,
    operator: Annotated[
        str | None, typer.Option(help="refuse unless the step is this operator's (its code)")
    ] = None,
) -> None:
    """Put a dead or uncertain step back in the queue (an uncertain notice is sent again)."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    lc = bootstrap(settings)
    try:
        with lc.sessions.begin() as session:
            actor = _acting_for(session, operator)
            ensure_can_touch_step(session, actor, row_id)
            operations.retry_dead_letter(session, lc.deps, actor, row_id)
    except LinecloseError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from None
    console.print(f"step {row_id} is pending again")
