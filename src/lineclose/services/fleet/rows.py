"""Rows of a fleet file: one card per row, by MSISDN or ICCID, with an optional closure date.

Accepted headers: `msisdn`, `iccid` or `card` (either kind), and `requested_date`
(YYYY-MM-DD). A bad row is rejected with its row number, field and message; good rows apply.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from lineclose.domain.identifiers import InvalidIdentifier, normalize_iccid, normalize_msisdn

IDENTIFIER_COLUMNS = ("card", "msisdn", "iccid")


@dataclass(frozen=True)
class CardRow:
    row_number: int  # as a spreadsheet counts: the header is row 1
    msisdn: str | None
    iccid: str | None
    requested_date: date | None


@dataclass(frozen=True)
class Reject:
    row_number: int
    field: str
    message: str


@dataclass(frozen=True)
class ParsedFile:
    rows: list[CardRow]
    rejects: list[Reject]
    digest: str


def _card(raw: str, region: str) -> tuple[str | None, str | None]:
    text = raw.strip()
    digits = text.replace(" ", "")
    if digits.isdigit() and len(digits) >= 18:
        return None, normalize_iccid(digits)
    return normalize_msisdn(text, region), None


def parse_rows(lines: Iterable[str], region: str) -> ParsedFile:
    """Parse a CSV of cards; the digest of its bytes names the file for resuming."""
    text = list(lines)
    digest = hashlib.sha256("".join(text).encode()).hexdigest()
    reader = csv.DictReader(text)
    headers = [h.strip().lower() for h in reader.fieldnames or []]
    column = next((c for c in IDENTIFIER_COLUMNS if c in headers), None)
    if column is None:
        return ParsedFile([], [Reject(1, "card", "the header needs msisdn, iccid or card")], digest)
    reader.fieldnames = headers
    rows: list[CardRow] = []
    rejects: list[Reject] = []
    seen: set[str] = set()
    for number, record in enumerate(reader, start=2):
        raw = (record.get(column) or "").strip()
        if not raw:
            rejects.append(Reject(number, column, "empty: give an MSISDN or an ICCID"))
            continue
        try:
            msisdn, iccid = _card(raw, region)
        except InvalidIdentifier as exc:
            rejects.append(Reject(number, column, str(exc)))
            continue
        key = msisdn or iccid or ""
        if key in seen:
            rejects.append(Reject(number, column, "this card is already listed in the file"))
            continue
        seen.add(key)
        when_raw = (record.get("requested_date") or "").strip()
        try:
            when = date.fromisoformat(when_raw) if when_raw else None
        except ValueError:
            rejects.append(Reject(number, "requested_date", "use YYYY-MM-DD"))
            continue
        rows.append(CardRow(number, msisdn, iccid, when))
    return ParsedFile(rows, rejects, digest)
