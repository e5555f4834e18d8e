"""Reading an operator's files as a stream of validated rows: CSV (UTF-8, header first) or
JSON Lines, one file per kind (`lines.csv`, `bills.jsonl`, ...) or one wide file per line
(`*wide*.csv`: subscriber, line, balance, usage, last usage and contract columns side by side).

Nothing is held beyond one batch, so memory stays flat whatever the file's size.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lineclose.errors import InvalidInput
from lineclose.services.data_in.apply_context import Reject
from lineclose.services.data_in.fields import (
    ORDER,
    Context,
    Memo,
    RowError,
    parse_row,
    source_key,
)
from lineclose.services.data_in.records import Item
from lineclose.services.data_in.unchanged_rows import Keep

WIDE = "wide"
# The parts of a wide row, in the order they are applied; optional parts only when given.
_WIDE_PARTS = (
    ("subscribers", None),
    ("lines", None),
    ("balances", "paid_credit_minor"),
    ("unbilled_usage", "unbilled_usage_minor"),
    ("last_usage", "last_usage_on"),
    ("contracts", "commitment_end"),
)


def kind_of(path: Path) -> str:
    """The kind a file holds, read from its name: `lines.csv`, `uk-bills.jsonl`, `wide.csv`."""
    stem = path.name.split(".")[0].lower().replace("-", "_")
    if WIDE in stem:
        return WIDE
    matches = [k for k in ORDER if stem == k or stem.endswith("_" + k) or stem.startswith(k)]
    if not matches:
        known = ", ".join((*ORDER, WIDE))
        raise InvalidInput(
            f"{path.name}: cannot tell what the file holds from its name; name it after one of {known}",
            code="unknown_file_kind",
            field="file",
        )
    return max(matches, key=len)


def file_rank(path: Path) -> int:
    kind = kind_of(path)
    return -1 if kind == WIDE else ORDER.index(kind)


def raw_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number as a spreadsheet shows it, raw values) for CSV; (line number, object) for JSONL."""
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError:
                    yield number, {"__error__": "the line is not valid JSON"}
                    continue
                yield number, value if isinstance(value, dict) else {"__error__": "not an object"}
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for number, row in enumerate(reader, start=2):
            yield number, row


def count_rows(path: Path) -> int:
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines if path.suffix.lower() in (".jsonl", ".ndjson") else max(lines - 1, 0)


@dataclass
class Batch:
    """Validated rows of one file, grouped by kind, and the rows refused while reading."""

    file: str
    rows: int = 0
    items: dict[str, list[Item]] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    kind: str = ""
    row_digests: dict[int, str] = field(default_factory=dict)  # rows read, not skipped


def parse(
    kind: str, number: int, raw: dict[str, Any], ctx: Context, memo: Memo | None = None
) -> list[Item]:
    """One raw row as the items it carries, or RowError; a wide row is all or nothing."""
    if "__error__" in raw:
        raise RowError("row", str(raw["__error__"]))
    if kind != WIDE:
        record = parse_row(kind, raw, ctx, memo)
        return [Item(number, kind, source_key(kind, record), record)]
    given = dict(raw)
    if not str(given.get("subscriber_ref") or "").strip():
        given["subscriber_ref"] = given.get("msisdn")
    memo = {} if memo is None else memo  # the number is in every part: parsed once
    items = []
    for part, marker in _WIDE_PARTS:
        if marker is not None and not str(given.get(marker) or "").strip():
            continue
        record = parse_row(part, given, ctx, memo)
        items.append(Item(number, part, source_key(part, record), record))
    return items


def parse_chunk(
    file: str, kind: str, rows: list[tuple[int, dict[str, Any]]], ctx: Context
) -> Batch:
    """Validate one chunk of raw rows; pure, so it can run in another process."""
    batch = Batch(file, rows=len(rows), kind=kind)
    memo: Memo = {}
    for number, raw in rows:
        try:
            for item in parse(kind, number, raw, ctx, memo):
                batch.items.setdefault(item.kind, []).append(item)
        except RowError as exc:
            batch.rejects.append(Reject(number, exc.field, exc.message))
    return batch


def chunks(path: Path, size: int) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    chunk: list[tuple[int, dict[str, Any]]] = []
    for row in raw_rows(path):
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def batches(path: Path, ctx: Context, size: int, keep: Keep | None = None) -> Iterator[Batch]:
    """Validated batches in file order. `keep` drops the rows seen before, unchanged, before
    they are validated (they count as read). `packed.batches_in` is the same with the
    validation in other processes."""
    kind = kind_of(path)
    for chunk, digests, skipped in kept_chunks(path, size, keep):
        yield finished(parse_chunk(path.name, kind, chunk, ctx), digests, skipped)


def kept_chunks(
    path: Path, size: int, keep: Keep | None
) -> Iterator[tuple[list[tuple[int, dict[str, Any]]], dict[int, str], int]]:
    """Each chunk's rows to validate, with the digests of its rows read and how many it
    skipped as unchanged."""
    kind = kind_of(path)
    for chunk in chunks(path, size):
        if keep is None:
            yield chunk, {}, 0
        else:
            yield keep(kind, chunk)


def finished(batch: Batch, digests: dict[int, str], skipped: int) -> Batch:
    batch.rows += skipped
    batch.row_digests = digests
    return batch
