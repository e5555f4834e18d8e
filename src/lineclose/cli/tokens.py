"""`lineclose token list` and `lineclose token revoke`, and the lifetimes `token create` takes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lineclose.bootstrap import bootstrap
from lineclose.config import Settings
from lineclose.errors import LinecloseError
from lineclose.services.identity import revoke_staff_token
from lineclose.services.reads.tokens import list_tokens

console = Console(width=160)  # one row per token, whatever the terminal
UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
LIFETIME = re.compile(r"^\s*(\d{1,5})\s*([hdw])\s*$")


def parse_lifetime(text: str) -> timedelta:
    """`90d`, `12w`, `36h`: a whole number of hours, days or weeks, at most ten years."""
    found = LIFETIME.match(text.lower())
    if found is None or int(found.group(1)) == 0:
        raise typer.BadParameter(
            "give a lifetime such as 90d, 12w or 36h", param_hint="--expires-in"
        )
    lifetime = int(found.group(1)) * UNITS[found.group(2)]
    if lifetime > timedelta(days=3653):
        raise typer.BadParameter("a token lives ten years at most", param_hint="--expires-in")
    return lifetime


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def token_list(
    all_tokens: Annotated[bool, typer.Option("--all", help="also revoked and expired")] = False,
) -> None:
    """List staff and integration tokens, masked, with expiry and last use."""
    lc = bootstrap(Settings())
    with lc.sessions() as session:
        rows = list_tokens(session, lc.deps.clock.now(), include_ended=all_tokens)
    table = Table("id", "name", "role", "operator", "token", "expires", "last used", "state")
    for row in rows:
        table.add_row(
            str(row.id),
            row.name,
            row.role,
            row.operator or "all",
            row.masked,
            _when(row.expires_at),
            _when(row.last_used_at) if row.last_used_at else "not yet",
            row.state,
        )
    console.print(table if rows else "no tokens")


def token_revoke(
    token_id: Annotated[int, typer.Argument(help="the id `token list` shows")],
) -> None:
    """Revoke a token at once: it is refused from now on and its console sessions end."""
    lc = bootstrap(Settings())
    try:
        with lc.sessions.begin() as session:
            name = revoke_staff_token(session, lc.deps.clock.now(), token_id, "admin:cli")
    except LinecloseError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from None
    console.print(f"revoked token {token_id} ({name})")


def add_token_commands(token_app: typer.Typer) -> None:
    token_app.command("list")(token_list)
    token_app.command("revoke")(token_revoke)
