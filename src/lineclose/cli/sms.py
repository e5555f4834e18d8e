"""`lineclose sms`: the operator's SMS keyword channel."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from lineclose.bootstrap import bootstrap
from lineclose.config import Settings
from lineclose.errors import LinecloseError
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.sms_keywords.channel import set_short_code

sms_app = typer.Typer(help="The SMS keyword channel.", no_args_is_help=True)
console = Console()
CLI_ADMIN = Actor(Role.ADMIN, "cli", Channel.SYSTEM)


@sms_app.command("short-code")
def short_code(
    operator: Annotated[str, typer.Option(help="operator code, e.g. demo-cn")],
    code: Annotated[str, typer.Argument(help="the short code subscribers text, e.g. 10086")],
) -> None:
    """Answer texts to CODE from the operator's lines (INFO, CLOSE, STOP)."""
    app = bootstrap(Settings())
    try:
        with app.sessions.begin() as session:
            set_short_code(session, app.deps, CLI_ADMIN, operator, code)
    except LinecloseError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from None
    console.print(f"{operator} answers texts to {code}")
