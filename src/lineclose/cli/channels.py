"""Commands of the SMS and reminder channels, registered on the main `lineclose` app."""

from __future__ import annotations

import typer

from lineclose.cli.idle import idle_app
from lineclose.cli.sms import sms_app


def register(app: typer.Typer) -> None:
    app.add_typer(sms_app, name="sms")
    app.add_typer(idle_app, name="idle")
