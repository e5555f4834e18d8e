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
    RowError,
    parse_row,
    source_key,
)
from lineclose.services.data_in.records import Item

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


def parse(kind: str, number: int, raw: dict[str, Any], ctx: Context) -> list[Item]:
    """One raw row as the items it carries, or RowError; a wide row is all or nothing."""
    if "__error__" in raw:
        raise RowError("row", str(raw["__error__"]))
    if kind != WIDE:
        record = parse_row(kind, raw, ctx)
        return [Item(number, kind, source_key(kind, record), record)]
    given = dict(raw)
    if not str(given.get("subscriber_ref") or "").strip():
        given["subscriber_ref"] = given.get("msisdn")
    items = []
    for part, marker in _WIDE_PARTS:
        if marker is not None and not str(given.get(marker) or "").strip():
            continue
        record = parse_row(part, given, ctx)
        items.append(Item(number, part, source_key(part, record), record))
    return items


def batches(path: Path, ctx: Context, size: int) -> Iterator[Batch]:
    kind = kind_of(path)
    batch = Batch(path.name)
    for number, raw in raw_rows(path):
        batch.rows += 1
        try:
            for item in parse(kind, number, raw, ctx):
                batch.items.setdefault(item.kind, []).append(item)
        except RowError as exc:
            batch.rejects.append(Reject(number, exc.field, exc.message))
        if batch.rows >= size:
            yield batch
            batch = Batch(path.name)
    if batch.rows:
        yield batch
