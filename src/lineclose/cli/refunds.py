"""`lineclose refunds`: payout batches for the bank, its answers read back, returned refunds.

The same services as the admin API under `/api/v1/refunds`.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lineclose.bootstrap import App, bootstrap
from lineclose.config import Settings
from lineclose.errors import LinecloseError
from lineclose.logs import configure_logging
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.payouts.accounts import set_payout_account
from lineclose.services.payouts.batches import batch_file, create_batches
from lineclose.services.payouts.folder import write_batch_file
from lineclose.services.payouts.reconcile import import_statement, mark
from lineclose.services.reads.refunds import list_refunds

refunds_app = typer.Typer(
    help="Refund payouts: batches, bank answers, returns.", no_args_is_help=True
)
console = Console()
_STAFF = Actor(Role.ADMIN, "cli", Channel.SYSTEM)


def _app() -> App:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return bootstrap(settings)


def _fail(exc: LinecloseError) -> None:
    field = exc.extra.get("field")
    console.print(f"[red]{exc.code}[/red]: {exc.message}" + (f" (field {field})" if field else ""))
    raise typer.Exit(2)


@refunds_app.command("batch")
def batch(
    operator: Annotated[
        str | None, typer.Option(help="operator code; all operators if absent")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="folder for the files (LINECLOSE_PAYOUT_DIR)")
    ] = None,
) -> None:
    """Group instructed refunds by operator and currency into batches and write the bank files."""
    lc = _app()
    try:
        with lc.sessions.begin() as session:
            run = create_batches(session, lc.deps, _STAFF, operator)
    except LinecloseError as exc:
        _fail(exc)
        return
    folder = out or lc.settings.payout_dir
    table = Table("batch", "operator", "currency", "format", "refunds", "total (minor)", "file")
    for made in run.files:
        path = write_batch_file(folder, made)
        table.add_row(
            made.reference,
            made.operator,
            made.currency,
            made.file_format,
            str(made.refund_count),
            str(made.total_minor),
            str(path),
        )
    console.print(table if run.files else "no refunds waiting for a batch")
    for skipped in run.skipped:
        console.print(
            f"[yellow]waiting[/yellow]: {skipped.refunds} {skipped.currency} refund(s) of "
            f"{skipped.operator}: {skipped.reason} (lineclose refunds account ...)"
        )


@refunds_app.command("file")
def file(
    reference: str,
    out: Annotated[Path | None, typer.Option(help="folder for the file")] = None,
) -> None:
    """Write a batch's file again (e.g. the process stopped before writing it)."""
    lc = _app()
    try:
        with lc.sessions() as session:
            made = batch_file(session, lc.deps, _STAFF, reference)
    except LinecloseError as exc:
        _fail(exc)
        return
    console.print(str(write_batch_file(out or lc.settings.payout_dir, made)))


@refunds_app.command("import")
def import_file(path: Path) -> None:
    """Read a camt.054, pain.002 or MT940 file from the bank and mark payments paid or returned."""
    lc = _app()
    try:
        with lc.sessions.begin() as session:
            report = import_statement(session, lc.deps, _STAFF, path.read_bytes())
    except LinecloseError as exc:
        _fail(exc)
        return
    console.print(
        f"{report.source}: {len(report.paid)} paid, {len(report.returned)} returned, "
        f"{len(report.unchanged)} already known, {len(report.debt_payments)} debt payment(s), "
        f"{len(report.rejects)} rejected"
    )
    if report.rejects:
        rejects = path.with_name(path.name + ".rejects.csv")
        with rejects.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["line", "field", "message"])
            for reject in report.rejects:
                writer.writerow([reject.line or "", reject.field, reject.message])
        console.print(f"rejects: {rejects}")


@refunds_app.command("mark")
def mark_payment(
    end_to_end_id: str,
    status: Annotated[str, typer.Argument(help="paid or returned")],
    reason: Annotated[str | None, typer.Option(help="return reason code, e.g. AC04")] = None,
) -> None:
    """Mark one payment paid or returned by hand."""
    lc = _app()
    try:
        with lc.sessions.begin() as session:
            mark(session, lc.deps, _STAFF, end_to_end_id, status, reason)
    except LinecloseError as exc:
        _fail(exc)
        return
    console.print(f"{end_to_end_id}: {status}")


@refunds_app.command("list")
def list_command(
    status: Annotated[
        str | None, typer.Option(help="instructed, batched, paid or returned")
    ] = None,
    operator: Annotated[str | None, typer.Option(help="operator code")] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on standard output")] = False,
) -> None:
    """Refunds by state and age (masked accounts): `--status returned` is staff's to-do list."""
    lc = _app()
    try:
        with lc.sessions() as session:
            views = list_refunds(
                session, _STAFF, lc.deps.clock.now(), status=status, operator_code=operator
            )
    except LinecloseError as exc:
        _fail(exc)
        return
    header = [
        "reference",
        "operator",
        "amount_minor",
        "currency",
        "status",
        "account",
        "end_to_end_id",
        "batch",
        "return_reason",
        "age_days",
    ]
    rows = [
        [
            v.reference,
            v.operator,
            str(v.amount_minor),
            v.currency,
            v.status,
            v.account_masked,
            v.end_to_end_id or "",
            v.batch or "",
            v.return_reason or "",
            str(v.age_days),
        ]
        for v in views
    ]
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(header)
        writer.writerows(rows)
        return
    table = Table(*header)
    for row in rows:
        table.add_row(*row)
    console.print(table)


@refunds_app.command("account")
def account(
    operator: str,
    currency: str,
    name: Annotated[str, typer.Option(help="account holder name the bank knows")],
    iban: Annotated[str, typer.Option(help="IBAN refunds are paid from")],
    bic: Annotated[str, typer.Option(help="BIC of that bank")],
) -> None:
    """Set the operator's account that refunds in CURRENCY are paid from."""
    lc = _app()
    try:
        with lc.sessions.begin() as session:
            set_payout_account(session, lc.deps, _STAFF, operator, currency, name, iban, bic)
    except LinecloseError as exc:
        _fail(exc)
        return
    console.print(f"{operator} pays {currency.upper()} refunds from {iban[:4]}…{iban[-4:]}")
