"""`lineclose import`: an operator's files in, one transaction per batch, with a progress bar."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lineclose.bootstrap import App, bootstrap
from lineclose.config import Settings
from lineclose.errors import LinecloseError
from lineclose.services.data_in import bulk_import, collector
from lineclose.services.data_in.hlr import register_new_lines

console = Console()


def run_import(
    app: App,
    operator_code: str,
    files: list[Path],
    rejects_path: Path,
    on_progress: Callable[[int, int], None] | None = None,
    batch_rows: int = bulk_import.BATCH_ROWS,
    actor: str = "admin:import",
    workers: int = 0,
) -> bulk_import.Summary:
    """Import the files; each batch commits on its own, so a failure loses at most one batch
    and a rerun skips what already arrived (the upsert is idempotent). With `workers`,
    rows are validated in that many processes while this one writes."""
    with app.sessions() as session:
        plan = bulk_import.plan(session, app.deps, operator_code, files)
    # A file of one batch has nothing to validate while a batch is written.
    parallel = workers > 0 and plan.total_rows > batch_rows
    with ExitStack() as stack:
        pool = stack.enter_context(ProcessPoolExecutor(workers)) if parallel else None
        stack.enter_context(collector.paused())
        return _run(app, plan, rejects_path, on_progress, batch_rows, actor, pool)


def _run(
    app: App,
    plan: bulk_import.Plan,
    rejects_path: Path,
    on_progress: Callable[[int, int], None] | None,
    batch_rows: int,
    actor: str,
    pool: Executor | None,
) -> bulk_import.Summary:
    summary = bulk_import.Summary()
    with rejects_path.open("w", encoding="utf-8", newline="") as handle:
        rejects = bulk_import.RejectsFile(handle)
        keep = bulk_import.unchanged_filter(app.sessions, app.deps, plan)
        for batch in bulk_import.read(plan, app.deps, batch_rows, pool, keep):
            with app.sessions.begin() as session:
                result = bulk_import.apply(session, app.deps, plan, batch, actor)
            register_new_lines(app.deps, result.new_lines)
            rejects.write(batch.file, result.rejects)
            bulk_import.tally(summary, batch, result)
            del batch, result  # freed by their counts: the collector walks only what is left
            collector.after_batch()
            if on_progress:
                on_progress(summary.rows, plan.total_rows)
    return summary


def import_command(
    files: Annotated[list[Path], typer.Argument(help="CSV or JSON Lines files", exists=True)],
    operator: Annotated[str, typer.Option(help="operator code, e.g. demo-cn")],
    rejects: Annotated[
        Path, typer.Option(help="where bad rows go (file, row, field, code, message)")
    ] = Path("rejects.csv"),
    workers: Annotated[
        int | None,
        typer.Option(
            help="extra processes that validate rows while this one writes (0: validate in "
            "this process; default: one per core beyond the first, at most two)",
            min=0,
        ),
    ] = None,
) -> None:
    """Import subscribers, lines and their facts; bad rows go to the rejects file."""
    app = bootstrap(Settings())
    columns = (
        TextColumn("[bold]importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} rows/s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("import", total=None, rate="-")

        def advance(done: int, total: int) -> None:
            elapsed = progress.tasks[0].elapsed or 0.0
            rate = f"{done / elapsed:,.0f}" if elapsed > 0 else "-"
            progress.update(task, completed=done, total=total, rate=rate)

        try:
            count = bulk_import.default_workers() if workers is None else workers
            summary = run_import(app, operator, files, rejects, advance, workers=count)
        except LinecloseError as exc:
            console.print(f"[red]{exc.code}[/red]: {exc.message}")
            raise typer.Exit(2) from None
    table = Table("inserted", "updated", "unchanged", "rejected", title="import summary")
    table.add_row(
        f"{summary.inserted:,}",
        f"{summary.updated:,}",
        f"{summary.unchanged:,}",
        f"{summary.rejected:,}",
    )
    console.print(table)
    if summary.reevaluated:
        console.print(
            f"open closure requests re-checked on new facts: {', '.join(summary.reevaluated)}"
        )
    if summary.rejected:
        console.print(f"bad rows: see {rejects}")
