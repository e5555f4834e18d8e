"""one source record per line of a wide file

A wide row used to leave a source record per part (lines, balances, unbilled usage, last
usage, contract) and one more for its raw row's digest ("rows:wide", pointing at the parts).
Now the parts keyed by the number live in one "wide" record, keyed "kind.field", with the raw
row's digest and its subscriber's. Upgrade folds each remembered row whose parts still say
what it said into its number's wide record; parts no row holds any more stay in their own
records, which are still read. Downgrade splits the wide records back.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 00:10:00
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

WIDE, ROWS = "wide", "rows:wide"
FOLDED = ("lines", "balances", "unbilled_usage", "last_usage", "contracts")
REMEMBERED = ("_row", "_subscriber", "_subscriber_digest")
CHUNK = 2_000

records = sa.table(
    "source_records",
    sa.column("id", sa.Integer),
    sa.column("operator_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("source_key", sa.String),
    sa.column("entity_id", sa.Integer),
    sa.column("digest", sa.String),
    sa.column("field_digests", sa.JSON),
    sa.column("updated_at", sa.DateTime),
)


def _chunks(connection: sa.Connection, kind: str) -> Iterator[Sequence[sa.Row[Any]]]:
    last = 0
    while True:
        rows = connection.execute(
            sa.select(records)
            .where(records.c.kind == kind, records.c.id > last)
            .order_by(records.c.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        last = rows[-1].id
        yield rows


def _records(
    connection: sa.Connection, operator_ids: set[int], kinds: set[str], keys: set[str]
) -> dict[tuple[int, str, str], sa.Row[Any]]:
    rows = connection.execute(
        sa.select(records).where(
            records.c.operator_id.in_(sorted(operator_ids)),
            records.c.kind.in_(sorted(kinds)),
            records.c.source_key.in_(sorted(keys)),
        )
    ).all()
    return {(r.operator_id, r.kind, r.source_key): r for r in rows}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def upgrade() -> None:
    connection = op.get_bind()
    for chunk in _chunks(connection, ROWS):
        wanted = {(r.operator_id, k, key) for r in chunk for k, key in r.field_digests["parts"]}
        found = _records(
            connection,
            {w[0] for w in wanted},
            {w[1] for w in wanted} | {WIDE},
            {w[2] for w in wanted},
        )
        folded: list[int] = []
        fresh: list[dict[str, Any]] = []
        for row in chunk:
            made = _fold(row, found)
            if made is not None:
                fresh.append(made[0])
                folded.extend(made[1])
                found[(row.operator_id, WIDE, made[0]["source_key"])] = row  # one per number
        if fresh:
            connection.execute(records.insert(), fresh)
        if folded:
            connection.execute(records.delete().where(records.c.id.in_(folded)))
    connection.execute(records.delete().where(records.c.kind == ROWS))


def _fold(
    row: sa.Row[Any], found: dict[tuple[int, str, str], sa.Row[Any]]
) -> tuple[dict[str, Any], list[int]] | None:
    """The wide record a remembered row makes of its parts, and the parts' own records; None
    when the parts no longer say what the row said (or not of one line)."""
    parts = []
    for kind, key in row.field_digests["parts"]:
        part = found.get((row.operator_id, kind, key))
        if part is None:
            return None
        parts.append(part)
    if _sha("|".join(p.digest for p in parts)) != row.digest:
        return None
    by_kind = {p.kind: p for p in parts}
    line, subscriber = by_kind.get("lines"), by_kind.get("subscribers")
    if line is None or subscriber is None or (row.operator_id, WIDE, line.source_key) in found:
        return None
    held = [by_kind[k] for k in FOLDED if k in by_kind]
    if any(p.entity_id != line.entity_id for p in held):
        return None
    digests = {f"{p.kind}.{name}": d for p in held for name, d in p.field_digests.items()}
    digests.update(
        {
            "_row": row.source_key,
            "_subscriber": subscriber.source_key,
            "_subscriber_digest": subscriber.digest,
        }
    )
    record = {
        "operator_id": row.operator_id,
        "kind": WIDE,
        "source_key": line.source_key,
        "entity_id": line.entity_id,
        "digest": _sha(json.dumps(digests)),
        "field_digests": digests,
        "updated_at": row.updated_at,
    }
    return record, [p.id for p in held]


def downgrade() -> None:
    connection = op.get_bind()
    for chunk in _chunks(connection, WIDE):
        fresh: list[dict[str, Any]] = []
        for wide in chunk:
            parts = []
            for kind in FOLDED:
                held = {
                    n[len(kind) + 1 :]: d
                    for n, d in wide.field_digests.items()
                    if n.startswith(kind + ".")
                }
                if not held:
                    continue
                digest = _sha("".join(d for _, d in sorted(held.items())))
                parts.append((kind, digest))
                fresh.append(
                    {
                        "operator_id": wide.operator_id,
                        "kind": kind,
                        "source_key": wide.source_key,
                        "entity_id": wide.entity_id,
                        "digest": digest,
                        "field_digests": held,
                        "updated_at": wide.updated_at,
                    }
                )
            remembered = [wide.field_digests.get(n) for n in REMEMBERED]
            if all(remembered):
                row, subscriber, subscriber_digest = remembered
                keys = [["subscribers", subscriber]] + [[k, wide.source_key] for k, _ in parts]
                fresh.append(
                    {
                        "operator_id": wide.operator_id,
                        "kind": ROWS,
                        "source_key": row,
                        "entity_id": None,
                        "digest": _sha("|".join([subscriber_digest, *(d for _, d in parts)])),
                        "field_digests": {"parts": keys},
                        "updated_at": wide.updated_at,
                    }
                )
        if fresh:
            connection.execute(records.insert(), fresh)
    connection.execute(records.delete().where(records.c.kind == WIDE))
