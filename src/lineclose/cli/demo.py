"""`lineclose demo`: a fresh SQLite database with demo data, served on a free loopback port."""

from __future__ import annotations

import errno
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from lineclose.bootstrap import App, bootstrap
from lineclose.cli import demo_sms
from lineclose.config import Settings
from lineclose.logs import configure_logging
from lineclose.services.admin import upgrade_schema
from lineclose.services.context import Role
from lineclose.services.identity import create_staff_token
from lineclose.services.seed import DemoLine, register_lines_in_hlr, seed_demo
from lineclose.worker.dispatcher import Worker

console = Console()
DEMO_ROLES = (Role.AGENT, Role.REVIEWER, Role.ADMIN)


def port_in_use(host: str, port: int) -> bool:
    """True when something already listens on (host, port), so uvicorn could not bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.errno in (errno.EADDRINUSE, errno.EACCES)
    return False


def served_settings(host: str, port: int, settings: Settings | None = None) -> Settings:
    """Settings whose public links (certificates, QR codes, messages) point at the port served.

    An explicit LINECLOSE_PUBLIC_BASE_URL (a proxy in front) wins.
    """
    settings = settings or Settings()
    if "public_base_url" in settings.model_fields_set or host in ("0.0.0.0", "::"):
        return settings
    return settings.model_copy(update={"public_base_url": f"http://{host}:{port}"})


# log_config=None keeps Lineclose's JSON logs; the access log comes from our middleware.
# proxy_headers=False: uvicorn would trust X-Forwarded-For from loopback; the app resolves it
# itself, through LINECLOSE_TRUSTED_PROXIES only (web/client_address.py).
UVICORN_OPTIONS: dict[str, Any] = {"log_config": None, "access_log": False, "proxy_headers": False}


def run_server(lc: App, host: str, port: int, with_worker: bool) -> None:
    """One process serving the app built here (the demo's console gateways print in it)."""
    import uvicorn

    from lineclose.web.app import create_app

    with _worker_thread(lc if with_worker else None):
        uvicorn.run(create_app(lc), host=host, port=port, **UVICORN_OPTIONS)


def run_processes(
    settings: Settings, host: str, port: int, workers: int, with_worker: bool
) -> None:
    """`workers` API processes, each building its own app, engine and pool from the environment
    through the app factory (an engine must not cross a fork)."""
    import uvicorn

    os.environ.setdefault("LINECLOSE_PUBLIC_BASE_URL", settings.public_base_url)
    with _worker_thread(bootstrap(settings) if with_worker else None):
        uvicorn.run(
            "lineclose.web.app:app_from_environment",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            **UVICORN_OPTIONS,
        )


@contextmanager
def _worker_thread(lc: App | None) -> Iterator[None]:
    runner = Worker(lc.sessions, lc.deps) if lc else None
    if runner:
        threading.Thread(target=runner.run_forever, name="worker", daemon=True).start()
    try:
        yield
    finally:
        if runner:
            runner.stop()


def refuse_busy_port(host: str, port: int) -> None:
    if port_in_use(host, port):
        console.print(
            f"[red]port {port} on {host} is already in use[/red]: stop what serves it, or pick "
            f"another port: [bold]make demo PORT={port + 100}[/bold] "
            f"(or `lineclose demo --port {port + 100}`)",
            soft_wrap=True,
        )
        raise typer.Exit(2)


def credentials_table(stories: list[DemoLine]) -> Table:
    table = Table("number", "what it shows", "service password", "ID number", title="Demo lines")
    for story in stories:
        table.add_row(
            story.msisdn,
            story.story,
            story.service_password or "",
            story.id_number or "",
        )
    return table


def demo(
    port: Annotated[int, typer.Option(help="the loopback port to serve on")] = 8000,
    fresh: Annotated[bool, typer.Option(help="start from an empty database")] = True,
) -> None:
    """Fresh SQLite database, demo data, staff tokens, then the API and a worker on loopback."""
    host = "127.0.0.1"
    refuse_busy_port(host, port)
    sms_secret = demo_sms.ensure_callback_secret()
    settings = served_settings(host, port)
    configure_logging(settings.log_level, settings.log_format)
    if fresh and settings.database_url.startswith("sqlite:///"):
        db_path = Path(settings.database_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    upgrade_schema(settings.database_url)
    lc = bootstrap(settings)
    with lc.sessions.begin() as session:
        stories = seed_demo(session, lc.deps)
    with lc.sessions() as session:
        register_lines_in_hlr(session, lc.deps)
    with lc.sessions.begin() as session:
        tokens = {
            role: create_staff_token(session, lc.deps.clock.now(), f"demo-{role.value}", role)
            for role in DEMO_ROLES
        }
    print_banner(settings.public_base_url, stories, tokens)
    demo_sms.print_banner(console, settings.public_base_url, sms_secret)
    console.rule()
    run_server(lc, host, port, with_worker=True)


def print_banner(base: str, stories: list[DemoLine], tokens: dict[Role, str]) -> None:
    console.print(credentials_table(stories))
    console.rule("Lineclose demo")
    console.print(f"Portal (subscribers): [bold]{base}/portal[/bold]")
    console.print(
        f"Console (staff):      [bold]{base}/console[/bold]  (sign in with a token below)"
    )
    console.print(f"API and its docs:     [bold]{base}/docs[/bold]")
    for role, token in tokens.items():
        console.print(f"{role.value:9} token: {token}", soft_wrap=True)
    console.print(
        "One-time codes and notices are printed in this terminal (the demo's SMS and e-mail). "
        "Staff verify a caller with the service password or ID number above.",
        soft_wrap=True,
    )
    reviewer = tokens[Role.REVIEWER]
    agent = tokens[Role.AGENT]
    console.print("\nTry (the CLI reads the same database: .venv/bin/lineclose --help):")
    # Printed unwrapped so each command can be copied as one line.
    for command in (
        f"curl -s -X POST {base}/api/v1/precheck -H 'Authorization: Bearer {agent}' "
        "-H 'Content-Type: application/json' -d '{\"msisdn\": \"+8613800138002\"}'",
        f"curl -s -X POST {base}/api/v1/closure-requests -H 'Authorization: Bearer {agent}' "
        "-H 'Content-Type: application/json' -H 'Idempotency-Key: demo-1' -d '{\"msisdn\": "
        '"+447911123457", "channel": "store", "identity": [{"method": "id_document_seen", "value": "passport"}], '
        '"refund_account": "GB82WEST12345698765432", "alternate_contact": "sam@example.org"}\'',
        f"curl -s {base}/api/v1/closure-requests -H 'Authorization: Bearer {reviewer}'",
        ".venv/bin/lineclose precheck +8613800138002",
    ):
        console.print(command, soft_wrap=True, markup=False, highlight=False)
