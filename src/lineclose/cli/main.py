"""The `lineclose` command: thin Typer commands over the services."""

from __future__ import annotations

import signal
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lineclose.bootstrap import App, bootstrap
from lineclose.cli import channels
from lineclose.cli.bulk import bulk_app
from lineclose.cli.calendar import calendar_app
from lineclose.cli.demo import demo, run_processes, run_server, served_settings
from lineclose.cli.money import money_app
from lineclose.cli.numbers import numbers_app
from lineclose.cli.operator_admin import register as register_data_in
from lineclose.cli.outbox import outbox_app
from lineclose.cli.security import keys_app, retention_app
from lineclose.cli.tokens import add_token_commands, parse_lifetime
from lineclose.config import Settings
from lineclose.errors import LinecloseError
from lineclose.logs import configure_logging
from lineclose.services import precheck as precheck_service
from lineclose.services.admin import audit_chain, upgrade_schema
from lineclose.services.context import Actor, Channel, Role, Scope
from lineclose.services.identity import create_staff_token
from lineclose.services.language import ENGLISH, localized_eligibility
from lineclose.services.reads.bulk_lines import operator_by_code
from lineclose.services.reads.requests import request_by_reference
from lineclose.services.seed import register_lines_in_hlr, seed_demo
from lineclose.services.views import eligibility_view
from lineclose.worker.dispatcher import Worker

app = typer.Typer(help="Lineclose: close mobile lines end to end.", no_args_is_help=True)
token_app = typer.Typer(help="Staff API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
app.add_typer(token_app, name="token")
add_token_commands(token_app)
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.add_typer(retention_app, name="retention")
app.add_typer(bulk_app, name="bulk")
app.add_typer(calendar_app, name="calendar")
app.add_typer(outbox_app, name="outbox")
app.add_typer(numbers_app, name="numbers")
register_data_in(app)
app.add_typer(money_app)
channels.register(app)
console = Console()


def _app() -> App:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return bootstrap(settings)


def _fail(exc: LinecloseError) -> None:
    console.print(f"[red]{exc.code}[/red]: {exc.message}")
    raise typer.Exit(2)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (alembic upgrade head)."""
    settings = Settings()
    upgrade_schema(settings.database_url)
    console.print("schema is up to date")


@app.command()
def seed() -> None:
    """Load the deterministic demo data into an empty database."""
    lc = _app()
    with lc.sessions.begin() as session:
        stories = seed_demo(session, lc.deps)
    with lc.sessions() as session:
        register_lines_in_hlr(session, lc.deps)
    table = Table("number", "what it shows")
    for story in stories:
        table.add_row(story.msisdn, story.story)
    console.print(table)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="who holds the token")],
    role: Annotated[Role, typer.Option(help="agent, reviewer, supervisor, admin or integration")],
    scope: Annotated[
        list[Scope] | None,
        typer.Option(help="what an integration token may do (repeat for several)"),
    ] = None,
    operator: Annotated[
        str | None, typer.Option(help="limit the token to one operator (its code)")
    ] = None,
    expires_in: Annotated[
        str, typer.Option(help="lifetime such as 90d, 12w or 36h; the token is refused after")
    ] = "90d",
) -> None:
    """Create a staff or integration API token; it is shown once."""
    lifetime = parse_lifetime(expires_in)
    lc = _app()
    try:
        with lc.sessions.begin() as session:
            operator_id = None
            if operator is not None:
                operator_id = operator_by_code(session, operator).id
            token = create_staff_token(
                session,
                lc.deps.clock.now(),
                name,
                role,
                operator_id=operator_id,
                scopes=frozenset(scope or ()),
                expires_in=lifetime,
            )
    except LinecloseError as exc:
        _fail(exc)
    console.print(token, soft_wrap=True)


@app.command()
def precheck(
    msisdn: str,
    on: Annotated[str | None, typer.Option(help="requested closure date, YYYY-MM-DD")] = None,
    accept_etf: bool = False,
) -> None:
    """Show what blocks closing a line, with remedies and the quote."""
    lc = _app()
    staff = Actor(Role.ADMIN, "cli", Channel.SYSTEM)
    try:
        requested = date.fromisoformat(on) if on else None
    except ValueError:
        console.print("[red]invalid_date[/red]: --on must be YYYY-MM-DD")
        raise typer.Exit(2) from None
    try:
        with lc.sessions() as session:
            result = precheck_service.precheck(
                session, lc.deps, staff, msisdn, requested, accept_etf
            )
    except LinecloseError as exc:
        _fail(exc)
    view = localized_eligibility(eligibility_view(result), ENGLISH)
    table = Table("blocker", "why", "remedy")
    for blocker in view["blockers"]:
        remedies = "; ".join(
            r["code"]
            + (f" {r['amount_minor']}" if "amount_minor" in r else "")
            + (f" {r['date']}" if "date" in r else "")
            for r in blocker["remedies"]
        )
        table.add_row(blocker["code"], blocker["message"], remedies)
    console.print(table if view["blockers"] else "[green]no blockers[/green]")
    for warning in view["warnings"]:
        console.print(f"[yellow]{warning['code']}[/yellow] {warning['message']}")
    console.print_json(data=view["quote"])


@app.command()
def status(reference: str) -> None:
    """Show a closure request's state and history."""
    lc = _app()
    staff = Actor(Role.ADMIN, "cli", Channel.SYSTEM)
    try:
        with lc.sessions() as session:
            view = request_by_reference(session, lc.deps, staff, reference)
    except LinecloseError as exc:
        _fail(exc)
    overdue = " [red]overdue[/red]" if view.overdue else ""
    console.print(f"[bold]{view.reference}[/bold] {view.status}{overdue} — {view.next_step}")
    table = Table("at", "from", "to", "by", "channel")
    for event in view.history:
        table.add_row(event.at, event.from_state or "", event.to, event.actor, event.channel)
    console.print(table)


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="run until nothing is due, then exit")] = False,
) -> None:
    """Perform outbox steps and sweeps (run as many as you like against PostgreSQL)."""
    lc = _app()
    runner = Worker(lc.sessions, lc.deps)
    # Finish the step in hand on a polite stop; SIGKILL is safe too (the lease runs out).
    signal.signal(signal.SIGTERM, lambda *_: runner.stop())
    signal.signal(signal.SIGINT, lambda *_: runner.stop())
    if once:
        report = runner.run_until_idle()
        console.print(f"done {report.done}, retried {report.retried}, dead {report.dead}")
        return
    runner.run_forever()


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    with_worker: Annotated[bool, typer.Option(help="run a worker thread in this process")] = False,
    workers: Annotated[
        int, typer.Option(help="API processes (docs/deploy.md: one or two per core)")
    ] = 1,
) -> None:
    """Serve the API (and a worker thread with --with-worker, as in the demo)."""
    settings = served_settings(host, port)
    configure_logging(settings.log_level, settings.log_format)
    if workers > 1:
        run_processes(settings, host, port, workers, with_worker)
    else:
        run_server(bootstrap(settings), host, port, with_worker)


app.command()(demo)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit log's hash chain and report the first broken link."""
    lc = _app()
    with lc.sessions() as session:
        report = audit_chain(session)
    if report.first_broken_id is None:
        console.print(f"[green]audit log intact[/green]: {report.checked} entries")
        return
    console.print(f"[red]broken at entry {report.first_broken_id}[/red]: {report.problem}")
    raise typer.Exit(1)
