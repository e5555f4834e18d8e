"""`lineclose fleet`: fleet batches loaded from files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lineclose.bootstrap import bootstrap
from lineclose.cli.fleet_file import write_result
from lineclose.config import Settings
from lineclose.errors import LinecloseError
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.reads.fleet import batch_detail, list_batches

fleet_app = typer.Typer(help="Fleet batches loaded from files.", no_args_is_help=True)
console = Console()
CLI_ADMIN = Actor(Role.ADMIN, "cli", Channel.SYSTEM)


@fleet_app.command("list")
def list_command(
    all_batches: Annotated[bool, typer.Option("--all", help="decided batches too")] = False,
) -> None:
    """Batches awaiting review (or all), oldest first."""
    app = bootstrap(Settings())
    with app.sessions() as session:
        views = list_batches(session, CLI_ADMIN, pending_only=not all_batches)
    table = Table("reference", "operator", "status", "cards", "clean", "blockers", "authorised by")
    for v in views:
        table.add_row(
            v.reference,
            v.operator,
            v.status,
            str(v.summary.get("lines")),
            str(v.summary.get("clean")),
            ", ".join(f"{k} {n}" for k, n in (v.summary.get("blockers") or {}).items()) or "-",
            f"{v.authorised_contact} ({v.authorising_document})",
        )
    console.print(table)


@fleet_app.command("result")
def result_command(
    reference: str,
    out: Annotated[Path, typer.Option(help="where to write the CSV")] = Path("results.csv"),
) -> None:
    """Write the per-card result file now: reference, state, blockers, refund."""
    app = bootstrap(Settings())
    try:
        with app.sessions() as session:
            view = batch_detail(session, CLI_ADMIN, reference)
        write_result(app, CLI_ADMIN, view.reference, out)
    except LinecloseError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from None
