"""Rows of a wide file seen before are skipped before any work: the number's wide record keeps
the digest of the raw row it holds, as long as nothing else changed what that row said (any
other path that writes the record forgets the row). The row is counted unchanged when, in
addition, the subscriber it named still carries the digest it had then and the record's line
is the number's line in service. Any other row takes the whole way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.db.among import among
from lineclose.db.models_data_in import SourceRecord
from lineclose.security.vault import Vault
from lineclose.services.data_in import wide_records
from lineclose.services.data_in.fields import SCHEMAS, Context, RowError, parse_value
from lineclose.services.data_in.unchanged_rows import RawRow, row_digest, row_key

_MSISDN = next(f for f in SCHEMAS["lines"] if f.name == "msisdn")


def any_kept(session: Session, operator_id: int) -> bool:
    """Whether the operator has a wide record: before its first wide file, no row can be
    skipped, and looking each one up (its number parsed first) would be work for nothing."""
    kept = select(SourceRecord.id).where(
        SourceRecord.operator_id == operator_id, SourceRecord.kind == wide_records.KIND
    )
    return bool(session.execute(select(exists(kept))).scalar_one())


def split(
    session: Session,
    vault: Vault,
    operator_id: int,
    ctx: Context,
    chunk: list[RawRow],
    look_up: bool = True,
) -> tuple[list[RawRow], dict[int, str], int]:
    """(rows to take the whole way, their row digests by row number, count skipped). Without
    `look_up` (nothing was kept before this import), every row is taken, with its digest."""
    key = row_key(vault)
    digests = {number: row_digest(key, raw) for number, raw in chunk}
    if not look_up:
        return chunk, digests, 0
    numbers = {number: _number(raw, ctx) for number, raw in chunk}
    same = _still_current(session, operator_id, {n for n in numbers.values() if n})
    kept = [
        (number, raw)
        for number, raw in chunk
        if numbers[number] is None or same.get(numbers[number] or "") != digests[number]
    ]
    return kept, {number: digests[number] for number, _ in kept}, len(chunk) - len(kept)


def _number(raw: dict[str, Any], ctx: Context) -> str | None:
    """The number as the row's records key it (None when invalid: the row is refused later)."""
    try:
        found = parse_value(_MSISDN, raw.get("msisdn"), ctx)
    except RowError:
        return None
    return str(found)


def _still_current(session: Session, operator_id: int, numbers: set[str]) -> dict[str, str]:
    """By number, the digest of the row its wide record still holds in full."""
    if not numbers:
        return {}
    digests = SourceRecord.field_digests
    rows = session.execute(
        select(
            SourceRecord.source_key,
            SourceRecord.entity_id,
            digests[wide_records.ROW].as_string(),
            digests[wide_records.SUBSCRIBER].as_string(),
            digests[wide_records.SUBSCRIBER_DIGEST].as_string(),
        ).where(
            SourceRecord.operator_id == operator_id,
            SourceRecord.kind == wide_records.KIND,
            among(session, SourceRecord.source_key, list(numbers)),
        )
    ).all()
    held = [r for r in rows if r[2]]
    if not held:
        return {}
    subscribers = dict(
        session.execute(
            select(SourceRecord.source_key, SourceRecord.digest).where(
                SourceRecord.operator_id == operator_id,
                SourceRecord.kind == "subscribers",
                among(session, SourceRecord.source_key, list({r[3] for r in held})),
            )
        ).all()
    )
    in_service = dict(
        session.execute(
            select(models.Line.msisdn, models.Line.id).where(
                models.Line.operator_id == operator_id,
                among(session, models.Line.msisdn, [r[0] for r in held]),
                models.Line.status != "closed",
            )
        ).all()
    )
    return {
        number: row
        for number, line_id, row, subscriber, subscriber_digest in held
        if line_id is not None
        and in_service.get(number) == line_id
        and subscribers.get(subscriber) == subscriber_digest
    }
