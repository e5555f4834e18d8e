"""`lineclose keys ...` and `lineclose retention ...`: data keys and erasure of personal data."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from lineclose.bootstrap import bootstrap
from lineclose.config import Settings
from lineclose.security.vault import new_key_line, parse_keyring
from lineclose.services import keys, retention

keys_app = typer.Typer(help="Data keys for personal data at rest.", no_args_is_help=True)
retention_app = typer.Typer(help="Erasure of personal data after closure.", no_args_is_help=True)
console = Console()


def _next_key_id(existing: list[str]) -> str:
    numbers = [int(k[1:]) for k in existing if k.startswith("k") and k[1:].isdigit()]
    return f"k{max(numbers, default=0) + 1}"


def _write_keyring(path: Path, text: str) -> None:
    """Write the key file atomically, readable by its owner only."""
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(temporary, path)


def _reencrypt(settings: Settings, batch_size: int) -> None:
    lc = bootstrap(settings)
    with lc.sessions() as session:
        total = keys.count_to_rotate(session, lc.deps.vault)
    with Progress(
        TextColumn("re-encrypting under [bold]{task.fields[key]}[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("rotate", total=total, key=lc.deps.vault.active_key_id)
        done = keys.reencrypt_all(
            lc.sessions, lc.deps.vault, batch_size, lambda n: progress.advance(task, n)
        )
    console.print(
        f"[green]done[/green]: {done} rows checked, active key {lc.deps.vault.active_key_id}"
    )


@keys_app.command("rotate")
def rotate(batch_size: Annotated[int, typer.Option(min=1, max=10_000)] = 500) -> None:
    """Add a new active key to the key file, then re-encrypt every ciphertext under it.

    Old keys stay in the file (older ciphertexts and backups still decrypt); remove one only
    after a rotation finished and backups made under it have expired. With LINECLOSE_DATA_KEYS
    the keyring is in the environment: put a new key (`lineclose keys new`) first there, restart
    the processes, then run `lineclose keys reencrypt`.
    """
    settings = Settings()
    if settings.data_keys is not None:
        console.print(
            "[red]keys_in_environment[/red]: LINECLOSE_DATA_KEYS is set; put a new key first in "
            "it (lineclose keys new), restart every process, then run: lineclose keys reencrypt"
        )
        raise typer.Exit(2)
    path = settings.data_key_file
    current = parse_keyring(path.read_text()) if path.exists() else []
    key_id = _next_key_id([k.key_id for k in current])
    lines = [new_key_line(key_id)] + (path.read_text().strip().splitlines() if current else [])
    _write_keyring(path, "\n".join(lines) + "\n")
    console.print(f"new active key [bold]{key_id}[/bold] written to {path}")
    _reencrypt(settings, batch_size)


@keys_app.command("reencrypt")
def reencrypt(batch_size: Annotated[int, typer.Option(min=1, max=10_000)] = 500) -> None:
    """Re-encrypt every ciphertext not yet under the active (first) key; safe to run again."""
    _reencrypt(Settings(), batch_size)


@keys_app.command("new")
def new_key(key_id: Annotated[str, typer.Option(help="letters and digits")] = "k2") -> None:
    """Print a new key line (id:base64) to place first in LINECLOSE_DATA_KEYS."""
    console.print(new_key_line(key_id), soft_wrap=True)


@retention_app.command("sweep")
def sweep(
    dry_run: Annotated[
        bool, typer.Option(help="list what would be erased, change nothing")
    ] = False,
) -> None:
    """Erase personal data whose retention period after closure has ended (audited)."""
    lc = bootstrap(Settings())
    with lc.sessions() as session:
        report = retention.sweep(session, lc.deps, dry_run=dry_run)
        if not dry_run:
            session.commit()
    table = Table("subscriber", "profile", "last closed", "due", "fields", "requests")
    for item in report.erased:
        table.add_row(
            str(item.subscriber_id),
            item.profile,
            item.last_closed_on.isoformat(),
            item.due_on.isoformat(),
            ", ".join(item.fields),
            ", ".join(item.requests),
        )
    verb = "would erase" if dry_run else "erased"
    console.print(table if report.erased else f"nothing to erase{' (dry run)' if dry_run else ''}")
    console.print(f"{verb} {len(report.erased)} subscriber(s)")
    for kept in report.kept:
        console.print(f"kept subscriber {kept.subscriber_id}: {kept.reason}")
