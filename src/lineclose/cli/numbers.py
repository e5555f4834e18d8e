"""`lineclose numbers check FILE`: reassigned-number checks for a CSV of up to 250,000 rows."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lineclose.bootstrap import bootstrap
from lineclose.config import Settings
from lineclose.errors import LinecloseError
from lineclose.services.reassigned import operator_actor
from lineclose.services.reassigned_files import FileReport, check_file, count_rows

numbers_app = typer.Typer(help="Questions about numbers.", no_args_is_help=True)
console = Console()


def run_check(
    settings: Settings, source: Path, answers: Path, rejects: Path, operator: str | None
) -> FileReport:
    app = bootstrap(settings)
    columns = (
        TextColumn("checking"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with (
        app.sessions() as session,
        source.open(newline="", encoding="utf-8-sig") as given,
        answers.open("w", newline="", encoding="utf-8") as answer_file,
        rejects.open("w", newline="", encoding="utf-8") as reject_file,
        Progress(*columns, console=console) as progress,
    ):
        task = progress.add_task("rows", total=count_rows(given))
        actor = operator_actor(session, operator, "cli")
        return check_file(
            session,
            actor,
            given,
            answer_file,
            reject_file,
            progress=lambda done: progress.advance(task, done),
        )


@numbers_app.command("check")
def check_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    out: Annotated[Path | None, typer.Option(help="answers CSV (default FILE.answers.csv)")] = None,
    rejects: Annotated[
        Path | None, typer.Option(help="rejected rows CSV (default FILE.rejects.csv)")
    ] = None,
    operator: Annotated[
        str | None, typer.Option(help="operator code: only its disconnections answer")
    ] = None,
) -> None:
    """Answer yes / no / no_data for each (phone_number, consent_date) row of a CSV file."""
    answers = out or file.with_suffix(".answers.csv")
    rejected = rejects or file.with_suffix(".rejects.csv")
    try:
        report = run_check(Settings(), file, answers, rejected, operator)
    except LinecloseError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from None
    table = Table("answer", "rows")
    for answer, count in report.counts.items():
        table.add_row(answer, f"{count:,}")
    table.add_row("rejected", f"{report.rejected:,}")
    console.print(table)
    console.print(f"answers: {answers}" + (f"  rejects: {rejected}" if report.rejected else ""))
