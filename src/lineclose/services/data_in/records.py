"""What the source last said about each record, as keyed digests: the heart of idempotency."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from lineclose.db.among import among
from lineclose.db.models_data_in import SourceRecord
from lineclose.domain.identifiers import mask_msisdn
from lineclose.security.vault import Vault
from lineclose.services.data_in.writer import JsonText, insert_rows, update_rows


@dataclass(frozen=True)
class Known:
    """What the source last said of one key; `wide`: said by a wide row, kept in the line's
    wide record (whose id this is, see `wide_records`)."""

    id: int
    entity_id: int | None
    digest: str
    field_digests: dict[str, Any]
    wide: bool = False


@dataclass
class Item:
    """One validated row on its way in: where it came from, its key and its digests."""

    row: int
    kind: str
    key: str
    record: dict[str, Any]
    field_digests: dict[str, str] = field(default_factory=dict)
    digest: str = ""
    known_id: int | None = None  # the source record's id when the key was seen before
    seen: Known | None = None  # what the source last said of the key, when it said anything
    entity_id: int | None = None
    changed: list[str] = field(default_factory=list)


def digest_key(vault: Vault) -> bytes:
    """A key of its own for row digests, derived from the vault's lookup key: without it, the
    digest of an ID number could be matched against guesses."""
    return bytes.fromhex(vault.blind_index("lineclose:source-record-digest"))


@lru_cache(maxsize=8)
def _keyed(key: bytes) -> Any:
    """The hash with its key already absorbed; each digest starts from a copy of it."""
    return hashlib.blake2b(key=key, digest_size=12)


def digest_items(key: bytes, items: list[Item]) -> None:
    """Keyed digests, so the table says whether a value changed without holding the value:
    each field digest is the keyed hash of "kind.name=value", the record digest the SHA-256 of
    its field digests in the order of their names. The names' order and prefixes are worked
    out once per set of names, not once per row."""
    known = _field_digests.setdefault(key, {})
    if len(known) > _FIELD_DIGESTS_KEPT:
        known.clear()
    fresh = _keyed(key).copy
    sha256 = hashlib.sha256
    plans: dict[tuple[str, tuple[str, ...]], list[tuple[str, str]]] = {}
    for item in items:
        record = item.record
        names = (item.kind, tuple(record))
        plan = plans.get(names)
        if plan is None:
            plan = plans[names] = [(n, f"{item.kind}.{n}=") for n in sorted(record)]
        digests = item.field_digests
        for name, prefix in plan:
            value = record[name]
            kind_of_value = type(value)
            shown = value if kind_of_value is str else "" if value is None else f"{value}"
            text = prefix + shown
            # Short values repeat down a file (choices, dates, flags, empty fields): each is
            # hashed once; identifiers and amounts, mostly distinct, are not kept.
            shared = kind_of_value is not int and len(shown) <= 10
            found = known.get(text) if shared else None
            if found is None:
                hasher = fresh()
                hasher.update(text.encode())
                found = hasher.hexdigest()
                if shared:
                    known[text] = found
            digests[name] = found
        item.digest = sha256("".join(digests.values()).encode()).hexdigest()


# Digests of short values already hashed, by key (see `digest_items`).
_field_digests: dict[bytes, dict[str, str]] = {}
_FIELD_DIGESTS_KEPT = 20_000


def load_known(
    session: Session,
    operator_id: int,
    kind: str,
    keys: Iterable[str],
    with_fields: bool = True,
) -> dict[str, Known]:
    """What the source last said of these keys; without `with_fields`, the digests of the
    records only (their per-field digests, JSON to decode, are left in the database)."""
    wanted = list(set(keys))
    if not wanted:
        return {}
    fields = SourceRecord.field_digests if with_fields else literal(None)
    rows = session.execute(
        select(
            SourceRecord.source_key,
            SourceRecord.id,
            SourceRecord.entity_id,
            SourceRecord.digest,
            fields,
        ).where(
            SourceRecord.operator_id == operator_id,
            SourceRecord.kind == kind,
            among(session, SourceRecord.source_key, wanted),
        )
    ).all()
    return {r[0]: Known(r[1], r[2], r[3], r[4] or {}) for r in rows}


def entity_ids(
    session: Session, operator_id: int, kind: str, keys: Iterable[str]
) -> dict[str, int]:
    return {
        k: v.entity_id
        for k, v in load_known(session, operator_id, kind, keys, with_fields=False).items()
        if v.entity_id is not None
    }


def save(
    session: Session, operator_id: int, now: datetime, new: list[Item], changed: list[Item]
) -> None:
    table = SourceRecord.__table__
    insert_rows(
        session,
        table,  # type: ignore[arg-type]
        [
            {
                "operator_id": operator_id,
                "kind": i.kind,
                "source_key": i.key,
                "entity_id": i.entity_id,
                "digest": i.digest,
                "field_digests": _as_json(i),
                "updated_at": now,
            }
            for i in new
        ],
    )
    update_rows(
        session,
        table,  # type: ignore[arg-type]
        [
            {
                "id": i.known_id,
                "entity_id": i.entity_id,
                "digest": i.digest,
                "field_digests": _as_json(i),
                "updated_at": now,
            }
            for i in changed
        ],
    )


def _as_json(item: Item) -> Any:
    """Field digests as JSON text, as json.dumps would write them (the schema's field names,
    hex digests: nothing to escape); anything else as it is, for json.dumps."""
    digests = item.field_digests
    if not all(type(d) is str for d in digests.values()):
        return digests
    return JsonText("{" + ", ".join([f'"{n}": "{d}"' for n, d in digests.items()]) + "}")


def shown_key(kind: str, key: str) -> str:
    """Keys as the audit log shows them: numbers masked, the source's own ids in clear."""
    if kind in ("subscribers", "bills", "payments"):
        return key
    number, _, rest = key.partition("|")
    return mask_msisdn(number) + (f"|{rest}" if rest else "")


def changed_fields(item: Item, known: Mapping[str, Any]) -> list[str]:
    return sorted(n for n, d in item.field_digests.items() if known.get(n) != d)
