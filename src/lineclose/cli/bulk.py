"""`lineclose bulk`: precheck and close whole fleets, with progress bars."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from lineclose.bootstrap import App, bootstrap
from lineclose.cli.fleet_file import close_from_file
from lineclose.config import Settings
from lineclose.errors import LinecloseError
from lineclose.services.bulk import bulk_precheck
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.fleet import account_close
from lineclose.services.reads.bulk_lines import lines_in_service, operator_by_code

bulk_app = typer.Typer(help="Precheck and close many lines at once.", no_args_is_help=True)
console = Console()


def run_precheck(app: App, operator_code: str, fleet: str | None) -> Counter[str]:
    counts: Counter[str] = Counter()
    with Progress(console=console) as progress, app.sessions() as session:
        operator = operator_by_code(session, operator_code)
        task = progress.add_task("prechecking", total=lines_in_service(session, operator.id, fleet))
        for verdict in bulk_precheck(session, app.deps, operator, fleet):
            codes = [code.value for code in verdict.blocker_codes]
            counts.update(codes or ["ELIGIBLE"])
            progress.advance(task)
    return counts


def run_close(
    app: App,
    operator_code: str,
    fleet: str,
    refund_account: str | None,
    alternate_contact: str,
    requested_by: str,
) -> Counter[str]:
    """Submit a closure for every line of a fleet, a chunk per transaction; one refusal stops none."""
    with app.sessions() as session:
        operator_id = operator_by_code(session, operator_code).id
        lines = account_close.active_lines(session, operator_id, fleet)
    actor = Actor(Role.ADMIN, requested_by, Channel.BULK, operator_id=operator_id)
    spec = account_close.account_spec(actor, operator_id, refund_account, alternate_contact)
    outcome: Counter[str] = Counter()
    with Progress(console=console) as progress:
        task = progress.add_task("submitting", total=len(lines))
        for start in range(0, len(lines), account_close.CHUNK):
            chunk = lines[start : start + account_close.CHUNK]
            with app.sessions.begin() as session:
                outcome.update(account_close.submit_lines(session, app.deps, spec, fleet, chunk))
            progress.advance(task, len(chunk))
    return outcome


def show(counts: Counter[str], heading: str) -> None:
    table = Table(heading, "lines")
    for code, count in counts.most_common():
        table.add_row(code, f"{count:,}")
    console.print(table)


def _app() -> App:
    return bootstrap(Settings())


@bulk_app.command("precheck")
def precheck_command(
    operator: Annotated[str, typer.Option(help="operator code, e.g. demo-cn")],
    fleet: Annotated[str | None, typer.Option(help="only this fleet account")] = None,
) -> None:
    """Precheck every open line of an operator or fleet; count lines per blocker."""
    try:
        show(run_precheck(_app(), operator, fleet), "blocker")
    except LinecloseError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from None


@bulk_app.command("close")
def close_command(
    operator: Annotated[str, typer.Option(help="operator code")],
    fleet: Annotated[str | None, typer.Option(help="fleet account whose lines close")] = None,
    alternate_contact: Annotated[
        str | None, typer.Option(help="where notices go after closure")
    ] = None,
    holder_verified: Annotated[
        bool,
        typer.Option(help="confirm the account holder's authorisation was checked in person"),
    ] = False,
    refund_account: Annotated[str | None, typer.Option(help="IBAN or account number")] = None,
    requested_by: Annotated[str, typer.Option(help="staff member running the closure")] = "cli",
    file: Annotated[
        Path | None, typer.Option(help="CSV of cards (msisdn, iccid or card; requested_date)")
    ] = None,
    authorised_contact: Annotated[
        str | None, typer.Option(help="with --file: the enterprise's authorised contact")
    ] = None,
    authorising_document: Annotated[
        str | None, typer.Option(help="with --file: the document that authorises the closure")
    ] = None,
    result_file: Annotated[Path | None, typer.Option(help="with --file: per-card results")] = None,
) -> None:
    """Close a fleet's active lines, or (--file) the cards listed in a file as one reviewed batch."""
    if file is not None:
        if not authorised_contact or not authorising_document:
            console.print(
                "[red]fleet_authorisation_missing[/red]: give --authorised-contact and "
                "--authorising-document"
            )
            raise typer.Exit(2)
        try:
            close_from_file(
                _app(), operator, file, authorised_contact, authorising_document,
                refund_account, requested_by, result_file,
            )  # fmt: skip
        except (LinecloseError, OSError) as exc:
            console.print(f"[red]cannot close from file[/red]: {getattr(exc, 'message', exc)}")
            raise typer.Exit(2) from None
        return
    if fleet is None or alternate_contact is None:
        console.print("[red]fleet_required[/red]: give --fleet and --alternate-contact, or --file")
        raise typer.Exit(2)
    if not holder_verified:
        console.print(
            "[red]holder_not_verified[/red]: check the account holder's authorisation, "
            "then pass --holder-verified"
        )
        raise typer.Exit(2)
    try:
        outcome = run_close(
            _app(), operator, fleet, refund_account, alternate_contact, requested_by
        )
    except LinecloseError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from None
    show(outcome, "outcome")
