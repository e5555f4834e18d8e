"""Source-record digests are stored: the batched digest must give exactly what the stored
format says (keyed BLAKE2b of "kind.name=value" per field, SHA-256 of the field digests in
the order of their names), or every known record would look changed on the next import."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from lineclose.services.data_in import records
from lineclose.services.data_in.records import Item

KEY = bytes(range(32))


def _reference(kind: str, record: dict[str, Any]) -> tuple[dict[str, str], str]:
    fields = {}
    for name, value in sorted(record.items()):
        text = f"{kind}.{name}={'' if value is None else value}"
        fields[name] = hashlib.blake2b(text.encode(), key=KEY, digest_size=12).hexdigest()
    return fields, hashlib.sha256("".join(fields.values()).encode()).hexdigest()


RECORDS: list[tuple[str, dict[str, Any]]] = [
    (
        "lines",
        {"msisdn": "+8613900000001", "monthly_fee_minor": 3000, "activated_on": date(2023, 5, 1)},
    ),
    (
        "lines",
        {"msisdn": "+8613900000002", "monthly_fee_minor": 0, "activated_on": date(2023, 5, 2)},
    ),
    ("subscribers", {"subscriber_ref": "C1", "name": "王芳", "email": None, "id_number": ""}),
    ("legal_holds", {"msisdn": "+8613900000001", "lifted_on": None, "flag": True}),
    ("balances", {"promo_credit_minor": 10**12, "paid_credit_minor": 5, "msisdn": "x" * 11}),
]


def test_batched_digests_match_the_stored_format() -> None:
    items = [Item(n, kind, "k", dict(record)) for n, (kind, record) in enumerate(RECORDS * 2)]
    records.digest_items(KEY, items)
    for item, (kind, record) in zip(items, RECORDS * 2, strict=True):
        assert (item.field_digests, item.digest) == _reference(kind, record)


def test_one_item_digest_is_the_batch_digest() -> None:
    kind, record = RECORDS[2]
    item = Item(1, kind, "k", dict(record))
    records.digest_items(KEY, [item])
    assert (item.field_digests, item.digest) == _reference(kind, record)


def _reference_row(key: bytes, raw: dict[Any, Any]) -> str:
    text = "\x1e".join(f"{k}\x1f{v}" for k, v in sorted(raw.items(), key=lambda kv: str(kv[0])))
    return hashlib.blake2b(text.encode(), key=key, digest_size=16).hexdigest()


def test_row_digests_match_the_stored_format() -> None:
    from lineclose.services.data_in.unchanged_rows import row_digest

    plain = {"msisdn": "+8613900000001", "name": "王芳", "activated_on": "2023-05-01", "b": ""}
    extra: dict[Any, Any] = {**plain, None: ["spill", "over"], "Zed": "1"}
    for raw in (plain, extra):
        assert row_digest(KEY, raw) == _reference_row(KEY, raw)
