"""Key rotation: re-encrypt every personal-data ciphertext under the active data key.

Every column named `*_enc` in the schema is covered (a new one is picked up without a change
here), and so are `*_enc` values inside outbox payloads. Work goes in batches, each its own
transaction, so a rotation can be stopped and run again: rows already under the active key
are skipped. The lookup hash (blind index) does not change, so lookups keep working.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from lineclose.db.models import Base, OutboxRow
from lineclose.security.vault import Vault

Progress = Callable[[int], None]


@dataclass(frozen=True)
class EncryptedColumn:
    table: Table
    column: Column[Any]

    @property
    def label(self) -> str:
        return f"{self.table.name}.{self.column.name}"


def encrypted_columns() -> list[EncryptedColumn]:
    return [
        EncryptedColumn(table, column)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("_enc")
    ]


def _stale(vault: Vault, column: Column[Any]) -> Any:
    return column.is_not(None) & ~column.startswith(vault.active_key_id + ":")


def count_to_rotate(session: Session, vault: Vault) -> int:
    """Ciphertexts in columns not yet under the active key, plus every outbox row to inspect."""
    total = 0
    for item in encrypted_columns():
        total += session.execute(
            select(func.count()).select_from(item.table).where(_stale(vault, item.column))
        ).scalar_one()
    total += session.execute(select(func.count()).select_from(OutboxRow)).scalar_one()
    return total


def _reencrypt_value(vault: Vault, value: Any) -> tuple[Any, bool]:
    if isinstance(value, str) and ":" in value and vault.needs_rotation(value):
        return vault.encrypt(vault.decrypt(value)), True
    return value, False


def _column_batches(
    sessions: sessionmaker[Session], vault: Vault, item: EncryptedColumn, batch_size: int
) -> Iterator[int]:
    (pk,) = item.table.primary_key.columns
    while True:
        with sessions.begin() as session:
            rows = session.execute(
                select(pk, item.column)
                .where(_stale(vault, item.column))
                .order_by(pk)
                .limit(batch_size)
            ).all()
            for key, value in rows:
                session.execute(
                    update(item.table)
                    .where(pk == key)
                    .values({item.column.name: vault.encrypt(vault.decrypt(value))})
                )
        if not rows:
            return
        yield len(rows)


def _outbox_batches(
    sessions: sessionmaker[Session], vault: Vault, batch_size: int
) -> Iterator[int]:
    last_id = 0
    while True:
        with sessions.begin() as session:
            rows = session.execute(
                select(OutboxRow.id, OutboxRow.payload)
                .where(OutboxRow.id > last_id)
                .order_by(OutboxRow.id)
                .limit(batch_size)
            ).all()
            for row_id, payload in rows:
                changed = False
                fresh = dict(payload or {})
                for name, value in fresh.items():
                    if name.endswith("_enc"):
                        fresh[name], did = _reencrypt_value(vault, value)
                        changed = changed or did
                if changed:
                    session.execute(
                        update(OutboxRow).where(OutboxRow.id == row_id).values(payload=fresh)
                    )
        if not rows:
            return
        last_id = rows[-1][0]
        yield len(rows)


def reencrypt_all(
    sessions: sessionmaker[Session],
    vault: Vault,
    batch_size: int = 500,
    progress: Progress | None = None,
) -> int:
    """Re-encrypt every stale ciphertext under the vault's active key; returns rows inspected."""
    done = 0
    batches = [_column_batches(sessions, vault, c, batch_size) for c in encrypted_columns()]
    batches.append(_outbox_batches(sessions, vault, batch_size))
    for batch in batches:
        for count in batch:
            done += count
            if progress:
                progress(count)
    return done
