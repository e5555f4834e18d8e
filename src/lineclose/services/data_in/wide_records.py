"""One source record per line of a wide file: what the source last said of the line and of
its facts (balance, unbilled usage, last usage, contract), as field digests keyed
"kind.field", with the digest of the raw row that said it and of the subscriber it named.

A kind's digests for a number live in one place at a time: in the number's wide record once
a wide row gave them, else in the kind's own record. Whichever path speaks next of that kind
and number (another wide row, a per-kind file, the sync API) compares against that place and
writes there, so the order in which the paths spoke does not matter. A wide record speaks of
one line: when the number's line changes, what it said of the old line is dropped.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lineclose.db.among import among
from lineclose.db.models_data_in import SourceRecord
from lineclose.services.data_in import records
from lineclose.services.data_in.records import Item, Known
from lineclose.services.data_in.writer import JsonText, insert_rows, update_rows

KIND = "wide"
# The parts of a wide row keyed by the number; the subscriber, keyed by its own reference and
# shared by its lines, keeps a record of its own.
FOLDED = frozenset({"lines", "balances", "unbilled_usage", "last_usage", "contracts"})
ROW = "_row"  # the raw row's digest, while the record still holds what that row said
SUBSCRIBER = "_subscriber"  # the subscriber the row named, and its record's digest then
SUBSCRIBER_DIGEST = "_subscriber_digest"
_REMEMBERED = (ROW, SUBSCRIBER, SUBSCRIBER_DIGEST)


@dataclass
class WideRecord:
    id: int
    entity_id: int | None  # the line
    digests: dict[str, Any]


def part(record: WideRecord, kind: str) -> Known | None:
    """What the record holds of one kind, as that kind's own record would say it."""
    prefix = kind + "."
    held = {n[len(prefix) :]: d for n, d in record.digests.items() if n.startswith(prefix)}
    if not held:
        return None
    # The record digest of `records.digest_items`: field digests in the order of their names.
    digest = hashlib.sha256("".join(d for _, d in sorted(held.items())).encode()).hexdigest()
    return Known(record.id, record.entity_id, digest, held, wide=True)


def load(
    session: Session, operator_id: int, keys: dict[str, set[str]]
) -> tuple[dict[str, dict[str, Known]], dict[str, WideRecord]]:
    """What the source last said of these keys by kind, wherever it is kept, and the wide
    records of the numbers among them; one statement for every kind."""
    found: dict[str, dict[str, Known]] = {kind: {} for kind in keys}
    wanted = set().union(*keys.values()) if keys else set()
    if not wanted:
        return found, {}
    kinds = list(keys)
    if FOLDED.intersection(keys):
        kinds.append(KIND)
    rows = session.execute(
        select(
            SourceRecord.kind,
            SourceRecord.source_key,
            SourceRecord.id,
            SourceRecord.entity_id,
            SourceRecord.digest,
            SourceRecord.field_digests,
        ).where(
            SourceRecord.operator_id == operator_id,
            SourceRecord.kind.in_(kinds),
            among(session, SourceRecord.source_key, list(wanted)),
        )
    ).all()
    wide: dict[str, WideRecord] = {}
    for kind, key, record_id, entity_id, digest, digests in rows:
        if kind == KIND:
            wide[key] = WideRecord(record_id, entity_id, digests or {})
        elif key in keys[kind]:
            found[kind][key] = Known(record_id, entity_id, digest, digests or {})
    for kind in FOLDED.intersection(keys):
        for key in keys[kind].intersection(wide):
            held = part(wide[key], kind)
            if held is not None:
                found[kind][key] = held
    return found, wide


def save_kind(
    session: Session,
    operator_id: int,
    now: datetime,
    new: list[Item],
    changed: list[Item],
    wide: dict[str, WideRecord],
) -> None:
    """One kind's new and changed records, each written where what it replaces was kept. A
    wide record changed this way no longer holds what its row said: its row is forgotten."""
    merged: dict[str, WideRecord] = {}
    own: list[Item] = []
    for item in changed:
        if item.seen is not None and item.seen.wide and item.key in wide:
            record = wide[item.key]
            _put(record, item)
            for name in _REMEMBERED:
                record.digests.pop(name, None)
            merged[item.key] = record
        else:
            own.append(item)
    records.save(session, operator_id, now, new, own)
    _write(session, operator_id, now, {}, merged)


def save_rows(
    session: Session,
    operator_id: int,
    now: datetime,
    parts: list[Item],
    wide: dict[str, WideRecord],
    rows: dict[int, list[Item]],
    row_digests: dict[int, str],
    rejected: set[int],
) -> None:
    """The wide rows of a batch: per number, the parts applied or found unchanged go into its
    wide record (from their own records, which are then deleted), with the row's digest when
    the whole row applied. A number whose record is already so is not written again."""
    by_number: dict[str, dict[str, Item]] = {}
    for item in parts:
        by_number.setdefault(item.key, {})[item.kind] = item
    fresh: dict[str, WideRecord] = {}
    changed: dict[str, WideRecord] = {}
    moved: list[int] = []
    for number, given in by_number.items():
        before = wide.get(number)
        record = (
            WideRecord(before.id, before.entity_id, dict(before.digests))
            if before is not None
            else WideRecord(0, None, {})
        )
        for item in given.values():  # in the order the kinds were applied: the line first
            _put(record, item, replace=before is not None)
            if item.seen is not None and not item.seen.wide:
                moved.append(item.seen.id)
        _remember_row(record, given, rows, row_digests, rejected)
        if before is None:
            fresh[number] = record
        elif record.digests != before.digests or record.entity_id != before.entity_id:
            changed[number] = record
    if moved:
        session.execute(delete(SourceRecord).where(among(session, SourceRecord.id, moved)))
    _write(session, operator_id, now, fresh, changed)


def _put(record: WideRecord, item: Item, replace: bool = True) -> None:
    """The item's digests in place of what the record held of its kind (nothing to replace
    in a record made for this batch: it gets each kind once)."""
    entity = item.entity_id
    if entity is None and item.seen is not None:
        entity = item.seen.entity_id
    if entity is not None:
        if record.entity_id is not None and entity != record.entity_id:
            record.digests.clear()  # said of another line, gone from this number
        record.entity_id = entity
    prefix = item.kind + "."
    digests = record.digests
    if replace:
        for name in [n for n in digests if n.startswith(prefix)]:
            del digests[name]
    digests.update({prefix + name: digest for name, digest in item.field_digests.items()})


def _remember_row(
    record: WideRecord,
    given: dict[str, Item],
    rows: dict[int, list[Item]],
    row_digests: dict[int, str],
    rejected: set[int],
) -> None:
    """The row's digest when the record holds all the row said (a row whose number another
    row of the batch also gave may not) and the row was applied in full."""
    lines = given.get("lines")
    row = lines.row if lines is not None else None
    subscriber = None
    whole = row is not None and row not in rejected and row in row_digests
    for p in rows.get(row, ()) if whole and row is not None else ():
        if p.kind == "subscribers" and subscriber is None:
            subscriber = p
        if not p.digest or (p.kind in FOLDED and given.get(p.kind) is not p):
            whole = False
            break
    if not whole or subscriber is None or row is None:
        for name in _REMEMBERED:
            record.digests.pop(name, None)
        return
    record.digests[ROW] = row_digests[row]
    record.digests[SUBSCRIBER] = subscriber.key
    record.digests[SUBSCRIBER_DIGEST] = subscriber.digest


def _write(
    session: Session,
    operator_id: int,
    now: datetime,
    fresh: dict[str, WideRecord],
    changed: dict[str, WideRecord],
) -> None:
    table = SourceRecord.__table__
    rows = []
    for number, record in fresh.items():
        text = _json(record.digests)
        rows.append(
            {
                "operator_id": operator_id,
                "kind": KIND,
                "source_key": number,
                "entity_id": record.entity_id,
                "digest": hashlib.sha256(text.encode()).hexdigest(),
                "field_digests": JsonText(text),
                "updated_at": now,
            }
        )
    insert_rows(session, table, rows)  # type: ignore[arg-type]
    updates = []
    for record in changed.values():
        text = _json(record.digests)
        updates.append(
            {
                "id": record.id,
                "entity_id": record.entity_id,
                "digest": hashlib.sha256(text.encode()).hexdigest(),
                "field_digests": JsonText(text),
                "updated_at": now,
            }
        )
    update_rows(session, table, updates)  # type: ignore[arg-type]


def _json(digests: dict[str, Any]) -> str:
    """The digests as JSON, as json.dumps writes them: names are the schema's and values hex,
    nothing to escape but the subscriber's reference, the source's own text."""
    return (
        "{"
        + ", ".join(
            [
                f'"{n}": {json.dumps(v)}' if n == SUBSCRIBER else f'"{n}": "{v}"'
                for n, v in digests.items()
            ]
        )
        + "}"
    )
