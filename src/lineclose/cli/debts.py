"""`lineclose debts`: amounts still due after closure, and the export for a collection agency."""

from __future__ import annotations

import csv
import sys
from typing import Annotated

import typer

from lineclose.bootstrap import bootstrap
from lineclose.config import Settings
from lineclose.logs import configure_logging
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.debts import list_debts

debts_app = typer.Typer(
    help="Debts after closure: write-offs and collection.", no_args_is_help=True
)
_STAFF = Actor(Role.ADMIN, "cli", Channel.SYSTEM)


@debts_app.command("export")
def export(
    status: Annotated[
        str | None, typer.Option(help="collection (default), written_off, paid, or all")
    ] = "collection",
) -> None:
    """CSV on standard output: one debt a row, no personal data beyond the references."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    lc = bootstrap(settings)
    with lc.sessions() as session:
        debts = list_debts(session, _STAFF, None if status == "all" else status)
    writer = csv.writer(sys.stdout)
    writer.writerow(
        [
            "reference",
            "operator",
            "pay_reference",
            "amount_minor",
            "paid_minor",
            "currency",
            "status",
            "reason",
            "created_at",
        ]
    )
    for d in debts:
        writer.writerow(
            [
                d.reference,
                d.operator,
                d.pay_reference,
                d.amount_minor,
                d.paid_minor,
                d.currency,
                d.status,
                d.reason,
                d.created_at.isoformat(),
            ]
        )
