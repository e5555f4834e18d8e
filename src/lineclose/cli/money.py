"""The command groups for money and records leaving Lineclose, added to `lineclose` as one."""

from __future__ import annotations

import typer

from lineclose.cli.debts import debts_app
from lineclose.cli.refunds import refunds_app
from lineclose.cli.reports import report_app
from lineclose.cli.webhooks import webhooks_app

money_app = typer.Typer()
money_app.add_typer(refunds_app, name="refunds")
money_app.add_typer(webhooks_app, name="webhooks")
money_app.add_typer(debts_app, name="debts")
money_app.add_typer(report_app, name="report")
