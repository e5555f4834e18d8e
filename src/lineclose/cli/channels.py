"""Commands of the SMS, reminder and fleet-file channels, registered on the main app."""

from __future__ import annotations

import typer

from lineclose.cli.fleet import fleet_app
from lineclose.cli.idle import idle_app
from lineclose.cli.sms import sms_app


def register(app: typer.Typer) -> None:
    app.add_typer(sms_app, name="sms")
    app.add_typer(idle_app, name="idle")
    app.add_typer(fleet_app, name="fleet")
