"""`lineclose operator create / show / set`: an operator's profile, overrides, auto-approval
policy and notification settings, each rule shown with its source."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from lineclose.bootstrap import bootstrap
from lineclose.cli.import_files import import_command
from lineclose.config import Settings
from lineclose.errors import InvalidInput, LinecloseError
from lineclose.services import operator_admin
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.reads.operator_settings import operator_settings

operator_app = typer.Typer(
    help="Operators: profile, overrides, auto-approval, notifications.", no_args_is_help=True
)
console = Console()
CLI_ADMIN = Actor(Role.ADMIN, "cli", Channel.SYSTEM)


def register(app: typer.Typer) -> None:
    """The data-in commands: `lineclose import` and `lineclose operator ...`."""
    app.command("import")(import_command)
    app.add_typer(operator_app, name="operator")


def _fail(exc: LinecloseError) -> None:
    allowed = exc.extra.get("allowed")
    hint = f" (allowed: {json.dumps(allowed)})" if allowed else ""
    console.print(f"[red]{exc.code}[/red]: {exc.message}{hint}")
    raise typer.Exit(2)


@operator_app.command("create")
def create(
    code: Annotated[str, typer.Argument(help="short code, e.g. acme-cn")],
    name: Annotated[str, typer.Option(help="the operator's name")],
    profile: Annotated[str, typer.Option(help="jurisdiction profile: cn, uk, us, ph, eu")],
) -> None:
    """Create an operator on a jurisdiction profile."""
    app = bootstrap(Settings())
    try:
        with app.sessions.begin() as session:
            operator_admin.create_operator(session, app.deps, CLI_ADMIN, code, name, profile)
    except LinecloseError as exc:
        _fail(exc)
    console.print(f"operator {code} created on profile {profile}")


@operator_app.command("show")
def show(code: Annotated[str, typer.Argument(help="operator code")]) -> None:
    """Show an operator's rules with their sources, auto-approval and notifications."""
    app = bootstrap(Settings())
    try:
        with app.sessions() as session:
            view = operator_settings(session, CLI_ADMIN, code)
    except LinecloseError as exc:
        _fail(exc)
        return
    console.print(
        f"[bold]{view.name}[/bold] ({view.code}) - profile {view.profile} ({view.profile_name}), {view.currency}"
    )
    rules = Table("rule", "value", "source", "mark", "profile value", "allowed", title="rules")
    for r in view.rules:
        rules.add_row(
            r.name,
            f"{r.value}{' *' if r.overridden else ''}",
            r.source,
            r.mark,
            f"{r.profile_value} ({r.profile_mark}: {r.profile_source})",
            f"{r.minimum}..{r.maximum}",
        )
    console.print(rules)
    for title, values in (
        ("auto-approval", view.auto_approval),
        ("notifications", view.notifications),
    ):
        table = Table("setting", "value", title=title)
        for key, value in values.items():
            table.add_row(key, json.dumps(value, ensure_ascii=False))
        console.print(table)


def parse_assignments(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """`rule=3`, `auto_approval.enabled=true`, `notifications.ops_email=ops@x.org` by group."""
    groups: dict[str, dict[str, Any]] = {"overrides": {}, "auto_approval": {}, "notifications": {}}
    for pair in pairs:
        key, eq, raw = pair.partition("=")
        if not eq:
            raise InvalidInput(f"{pair!r}: write setting=value", code="invalid_setting", field=pair)
        group, dot, name = key.partition(".")
        if not dot:
            group, name = "overrides", key
        if group not in groups:
            raise InvalidInput(
                f"{key}: use a rule name, auto_approval.<setting> or notifications.<setting>",
                code="invalid_setting",
                field=key,
            )
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        if group == "auto_approval" and name == "identity_methods" and isinstance(value, str):
            value = [v for v in value.split(",") if v]
        groups[group][name] = value
    return groups


@operator_app.command("set")
def set_(
    code: Annotated[str, typer.Argument(help="operator code")],
    settings: Annotated[
        list[str], typer.Argument(help="review_working_days=3 auto_approval.enabled=true ...")
    ],
) -> None:
    """Change settings; a value out of range is refused with the allowed range, nothing changes."""
    app = bootstrap(Settings())
    try:
        groups = parse_assignments(settings)
        with app.sessions.begin() as session:
            if groups["overrides"]:
                operator_admin.set_overrides(
                    session, app.deps, CLI_ADMIN, code, groups["overrides"]
                )
            if groups["auto_approval"]:
                operator_admin.set_auto_approval(
                    session, app.deps, CLI_ADMIN, code, groups["auto_approval"]
                )
            if groups["notifications"]:
                operator_admin.set_notifications(
                    session, app.deps, CLI_ADMIN, code, groups["notifications"]
                )
    except LinecloseError as exc:
        _fail(exc)
    console.print(f"operator {code} updated")
