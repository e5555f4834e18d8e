"""Rows of a per-kind file seen before are skipped before any work (a wide file's rows: see
`unchanged_wide_rows`): a keyed digest of each raw row, as the file gave it, is kept with the
digests its records had once applied. When a file comes again, a
row whose digest is known and whose records still carry those digests (nothing changed them
since, through the sync API or another file, and each fact's line is the same line in
service) is counted unchanged without being validated, sealed or written again. Any other
row takes the whole way, so the outcome is the one the full path gives.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.db.among import among
from lineclose.security.vault import Vault
from lineclose.services.data_in import records, wide_records
from lineclose.services.data_in.records import Item

RawRow = tuple[int, dict[str, Any]]
LINE_FACTS = frozenset(
    {"balances", "unbilled_usage", "last_usage", "contracts", "legal_holds", "lost_reports"}
)


def row_kind(file_kind: str) -> str:
    return f"rows:{file_kind}"


def row_key(vault: Vault) -> bytes:
    return bytes.fromhex(vault.blind_index("lineclose:source-row-digest"))


def row_digest(key: bytes, raw: dict[str, Any]) -> str:
    # Columns in the order of their names as text (a CSV row's extra values sit under None).
    names = sorted(raw, key=str) if None in raw else sorted(raw)
    text = "\x1e".join([f"{k}\x1f{raw[k]}" for k in names])
    return hashlib.blake2b(text.encode(), key=key, digest_size=16).hexdigest()


def parts_digest(digests: list[str]) -> str:
    return hashlib.sha256("|".join(digests).encode()).hexdigest()


def split(
    session: Session, vault: Vault, operator_id: int, file_kind: str, chunk: list[RawRow]
) -> tuple[list[RawRow], dict[int, str], int]:
    """(rows to take the whole way, their row digests by row number, count skipped)."""
    key = row_key(vault)
    digests = {number: row_digest(key, raw) for number, raw in chunk}
    known = records.load_known(session, operator_id, row_kind(file_kind), digests.values())
    unchanged = _still_current(session, operator_id, known) if known else set()
    kept = [(number, raw) for number, raw in chunk if digests[number] not in unchanged]
    return kept, {number: digests[number] for number, _ in kept}, len(chunk) - len(kept)


def _still_current(session: Session, operator_id: int, known: dict[str, records.Known]) -> set[str]:
    wanted: dict[str, set[str]] = {}
    for seen in known.values():
        for kind, part_key in seen.field_digests.get("parts", []):
            wanted.setdefault(kind, set()).add(part_key)
    current, _ = wide_records.load(session, operator_id, wanted)
    numbers = {k for kind, keys in wanted.items() if kind in LINE_FACTS for k in keys}
    in_service = (
        dict(
            session.execute(
                select(models.Line.msisdn, models.Line.id).where(
                    models.Line.operator_id == operator_id,
                    among(session, models.Line.msisdn, numbers),
                    models.Line.status != "closed",
                )
            ).all()
        )
        if numbers
        else {}
    )
    same: set[str] = set()
    for digest, seen in known.items():
        parts = seen.field_digests.get("parts", [])
        now = [current[kind].get(part_key) for kind, part_key in parts]
        if not parts or any(p is None for p in now):
            continue
        if parts_digest([p.digest for p in now if p is not None]) != seen.digest:
            continue
        if any(
            kind in LINE_FACTS and p is not None and p.entity_id != in_service.get(part_key)
            for (kind, part_key), p in zip(parts, now, strict=True)
        ):
            continue
        same.add(digest)
    return same


def remember(
    session: Session,
    operator_id: int,
    now: datetime,
    file_kind: str,
    row_digests: dict[int, str],
    items: list[Item],
    rejected: set[int],
) -> None:
    """Keep the digest of each row applied in full, with its records' digests as they now are."""
    by_row: dict[int, list[Item]] = {}
    for item in items:
        by_row.setdefault(item.row, []).append(item)
    applied = {
        number: parts
        for number, parts in by_row.items()
        if number not in rejected and number in row_digests and all(p.digest for p in parts)
    }
    kind = row_kind(file_kind)
    known = records.load_known(session, operator_id, kind, (row_digests[n] for n in applied))
    new: list[Item] = []
    changed: list[Item] = []
    seen: set[str] = set()
    for number, parts in applied.items():
        digest = row_digests[number]
        if digest in seen:
            continue
        seen.add(digest)
        row = Item(number, kind, digest, {})
        row.field_digests = {"parts": [[p.kind, p.key] for p in parts]}  # type: ignore[dict-item]
        row.digest = parts_digest([p.digest for p in parts])
        previous = known.get(digest)
        if previous is None:
            new.append(row)
        elif previous.digest != row.digest or previous.field_digests != row.field_digests:
            row.known_id = previous.id
            changed.append(row)
    records.save(session, operator_id, now, new, changed)


Keep = Callable[[str, list[RawRow]], tuple[list[RawRow], dict[int, str], int]]
