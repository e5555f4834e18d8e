"""A batch validated in another process comes back as the same items, digested, and the same
rejects as one validated here."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from lineclose.domain.profiles import profile_for
from lineclose.services.data_in import records
from lineclose.services.data_in.fields import Context
from lineclose.services.data_in.files import WIDE, Batch, batches, parse_chunk
from lineclose.services.data_in.packed import batches_in, parse_packed, unpack
from lineclose.services.seed import cn_id_number, iccid

CN = Context(profile_for("cn"), date(2026, 11, 25))
KEY = bytes(range(32))


def _row(n: int) -> dict[str, Any]:
    return {
        "msisdn": f"+86139010{n:05d}",
        "iccid": iccid(500_000 + n),
        "imsi": f"4600000005{n:05d}",
        "subscriber_ref": f"C{n}",
        "name": "王芳",
        "id_number": cn_id_number("110105", date(1990, 3, 7), n % 999),
        "activated_on": "2024-01-01",
        # Optional parts on some rows only: items of several shapes in one kind.
        "paid_credit_minor": str(n * 10) if n % 2 else "",
        "last_usage_on": "2026-11-01" if n % 3 else "",
    }


ROWS = [(n + 1, _row(n)) for n in range(1, 41)]
ROWS[4][1]["iccid"] = "123"  # rejected: named by row and field, the other rows go on
ROWS[9][1]["activated_on"] = "2099-01-01"


def _digested(batch: Batch) -> Batch:
    for items in batch.items.values():
        records.digest_items(KEY, items)
    return batch


def _plain(batch: Batch) -> dict[str, Any]:
    return {
        "file": batch.file,
        "kind": batch.kind,
        "rows": batch.rows,
        "items": {k: [asdict(i) for i in v] for k, v in batch.items.items()},
        "rejects": [asdict(r) for r in batch.rejects],
    }


def test_a_packed_batch_unpacks_to_the_items_validated_here() -> None:
    here = _digested(parse_chunk("wide.csv", WIDE, ROWS, CN))
    there = unpack(pickle.loads(pickle.dumps(parse_packed("wide.csv", WIDE, ROWS, CN, KEY))))

    assert _plain(there) == _plain(here)
    assert {r.row for r in there.rejects} == {6, 11}
    assert {"subscribers", "lines", "balances", "last_usage"} <= set(there.items)
    # Items unpacked are digested: the writing process does not digest them again.
    assert all(i.digest and i.field_digests for v in there.items.values() for i in v)


def test_batches_validated_in_other_processes_equal_those_validated_here(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    names = list(ROWS[0][1])
    path.write_text(
        ",".join(names) + "\n" + "".join(",".join(r[n] for n in names) + "\n" for _, r in ROWS),
        encoding="utf-8",
    )
    here = [_plain(_digested(b)) for b in batches(path, CN, 15)]
    with ProcessPoolExecutor(1) as pool:
        there = [_plain(b) for b in batches_in(pool, path, CN, 15, KEY)]
    assert there == here
    assert [b["rows"] for b in there] == [15, 15, 10]


class _NoProcesses(ThreadPoolExecutor):
    def submit(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a chunk whose every row was skipped went to another process")


def test_chunks_whose_rows_were_all_skipped_start_no_process(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("msisdn,iccid\n" + "+8613901000001,1\n" * 30, encoding="utf-8")

    def skip_all(kind: str, chunk: list[Any]) -> tuple[list[Any], dict[int, str], int]:
        return [], {}, len(chunk)

    with _NoProcesses(1) as pool:
        found = list(batches_in(pool, path, CN, 10, KEY, skip_all))
    assert [(b.rows, b.items, b.rejects) for b in found] == [(10, {}, [])] * 3
