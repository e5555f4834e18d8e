"""`lineclose webhooks`: receivers of closure events (the same services as /api/v1/webhooks)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lineclose.bootstrap import bootstrap
from lineclose.config import Settings
from lineclose.errors import LinecloseError
from lineclose.logs import configure_logging
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.webhooks.events import EVENT_TYPES
from lineclose.services.webhooks.subscriptions import (
    create_subscription,
    list_subscriptions,
    remove_subscription,
)

webhooks_app = typer.Typer(help="Webhook receivers of closure events.", no_args_is_help=True)
console = Console()
_ADMIN = Actor(Role.ADMIN, "cli", Channel.SYSTEM)


def _fail(exc: LinecloseError) -> None:
    console.print(f"[red]{exc.code}[/red]: {exc.message}")
    raise typer.Exit(2)


@webhooks_app.command("add")
def add(
    operator: str,
    url: str,
    service: Annotated[
        str | None,
        typer.Option(help="a bound service's name (e.g. 'WeChat Pay'); else the operator's own"),
    ] = None,
    event: Annotated[
        list[str] | None, typer.Option(help=f"event type, repeatable: {', '.join(EVENT_TYPES)}")
    ] = None,
) -> None:
    """Subscribe a receiver; prints the signing secret once."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    lc = bootstrap(settings)
    try:
        with lc.sessions.begin() as session:
            made = create_subscription(
                session, lc.deps, _ADMIN, operator, url, service=service, event_types=event
            )
    except LinecloseError as exc:
        _fail(exc)
        return
    console.print(f"subscription {made.view.id}: {', '.join(made.view.event_types)}")
    console.print(f"signing secret (shown once): {made.secret}")


@webhooks_app.command("list")
def list_command() -> None:
    """Every subscription; failed deliveries are in `lineclose outbox list` (step webhook)."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    lc = bootstrap(settings)
    with lc.sessions() as session:
        views = list_subscriptions(session, _ADMIN)
    table = Table("id", "operator", "service", "url", "events", "active")
    for v in views:
        table.add_row(
            str(v.id), v.operator, v.service or "", v.url, ", ".join(v.event_types), str(v.active)
        )
    console.print(table)


@webhooks_app.command("remove")
def remove(subscription_id: int) -> None:
    """Stop sending to a receiver."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    lc = bootstrap(settings)
    try:
        with lc.sessions.begin() as session:
            remove_subscription(session, lc.deps, _ADMIN, subscription_id)
    except LinecloseError as exc:
        _fail(exc)
        return
    console.print(f"subscription {subscription_id} stopped")
