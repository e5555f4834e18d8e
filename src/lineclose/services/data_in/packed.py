"""Validated batches as plain columns, for their trip from a validating process to the one that
writes them.

A batch of 5,000 wide rows is about 30,000 `Item` objects; pickled as such, its round trip
costs three times what validating it does. As columns of plain values (row numbers, keys, one
tuple of field names per record shape, tuples of values and of field digests) the writing
process unpacks it in about half the time validating and digesting would take it, so both can
run in other processes and leave the writing process mostly the writing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lineclose.services.data_in import records
from lineclose.services.data_in.apply_context import Reject
from lineclose.services.data_in.fields import Context
from lineclose.services.data_in.files import Batch, finished, kept_chunks, kind_of, parse_chunk
from lineclose.services.data_in.records import Item
from lineclose.services.data_in.unchanged_rows import Keep

Names = tuple[str, ...]


@dataclass
class Columns:
    """One kind's items: the n-th of each list describes the n-th item."""

    rows: list[int] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    names: list[Names] = field(default_factory=list)  # shared tuples: pickled once per shape
    values: list[tuple[Any, ...]] = field(default_factory=list)
    digested: list[Names] = field(default_factory=list)  # field digest names, in their order
    field_digests: list[tuple[str, ...]] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)


@dataclass
class PackedBatch:
    file: str
    kind: str
    rows: int
    items: dict[str, Columns]
    rejects: list[tuple[int, str, str, str]]


def parse_packed(
    file: str,
    kind: str,
    rows: list[tuple[int, dict[str, Any]]],
    ctx: Context,
    digest_key: bytes,
) -> PackedBatch:
    """`files.parse_chunk`, then each item's keyed digests, packed; pure, for another process."""
    batch = parse_chunk(file, kind, rows, ctx)
    shapes: dict[Names, Names] = {}
    packed: dict[str, Columns] = {}
    for part, items in batch.items.items():
        records.digest_items(digest_key, items)
        columns = packed[part] = Columns()
        for item in items:
            names = tuple(item.record)
            names = shapes.setdefault(names, names)
            digested = tuple(item.field_digests)
            digested = shapes.setdefault(digested, digested)
            columns.rows.append(item.row)
            columns.keys.append(item.key)
            columns.names.append(names)
            columns.values.append(tuple(item.record.values()))
            columns.digested.append(digested)
            columns.field_digests.append(tuple(item.field_digests.values()))
            columns.digests.append(item.digest)
    rejects = [(r.row, r.field, r.message, r.code) for r in batch.rejects]
    return PackedBatch(batch.file, batch.kind, batch.rows, packed, rejects)


def unpack(packed: PackedBatch) -> Batch:
    """The batch `parse_packed` packed, its items digested as `records.digest_items` left them."""
    batch = Batch(packed.file, rows=packed.rows, kind=packed.kind)
    for part, c in packed.items.items():
        batch.items[part] = [
            Item(
                row,
                part,
                key,
                dict(zip(names, values, strict=True)),
                dict(zip(digested, field_digests, strict=True)),
                digest,
            )
            for row, key, names, values, digested, field_digests, digest in zip(
                c.rows, c.keys, c.names, c.values, c.digested, c.field_digests, c.digests,
                strict=True,
            )
        ]  # fmt: skip
    batch.rejects = [Reject(*r) for r in packed.rejects]
    return batch


def batches_in(
    pool: Executor,
    path: Path,
    ctx: Context,
    size: int,
    digest_key: bytes,
    keep: Keep | None = None,
) -> Iterator[Batch]:
    """`files.batches`, the chunks validated and digested in `pool`'s processes while this one
    writes the batch before them (at most two ahead, so memory stays bounded)."""
    kind = kind_of(path)
    ahead: deque[tuple[Future[PackedBatch], dict[int, str], int]] = deque()
    for chunk, digests, skipped in kept_chunks(path, size, keep):
        if chunk:
            work = pool.submit(parse_packed, path.name, kind, chunk, ctx, digest_key)
        else:  # every row skipped as unchanged: no process needs starting for it
            work = Future()
            work.set_result(PackedBatch(path.name, kind, 0, {}, []))
        ahead.append((work, digests, skipped))
        if len(ahead) > 2:
            done, digests, skipped = ahead.popleft()
            yield finished(unpack(done.result()), digests, skipped)
    while ahead:
        done, digests, skipped = ahead.popleft()
        yield finished(unpack(done.result()), digests, skipped)
