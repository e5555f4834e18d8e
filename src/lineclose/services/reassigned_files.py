"""Reassigned-number checks by file: up to 250,000 (number, date of consent) rows, CSV in and out.

Input: a header row naming `phone_number` and `consent_date` (other columns are ignored), then
one pair per row. Good rows are answered; a bad row goes to the rejects with its row number
(the header is row 1), the field and what is wrong, and never stops the others.

The file is read in columns (Apache Arrow's CSV reader), checked and converted column-wise
(E.164 and calendar dates, vectorized), answered by the rule over arrays, and the answers are
written in columns; only rows Arrow cannot split into the header's columns are read one by
one (Python's csv module), and only bad rows are looked at one by one, to report them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TextIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from lineclose.errors import InvalidInput
from lineclose.services.context import Actor
from lineclose.services.reassigned import (
    ANSWERS,
    FILE_LIMIT,
    DisconnectionIndex,
    ensure_can_check,
    load_index,
)

CHUNK = 25_000
NUMBER, CONSENT = "phone_number", "consent_date"
ANSWER_HEADER = (NUMBER, CONSENT, "answer")
REJECT_HEADER = ("row", "field", "message")
BAD_NUMBER = "must be E.164: '+' then 5 to 15 digits"
BAD_DATE = "must be a date, YYYY-MM-DD"
_E164 = r"^\+[1-9][0-9]{4,14}$"
_ISO_DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass
class FileReport:
    answered: int = 0
    rejected: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {a.value: 0 for a in ANSWERS})


@dataclass(frozen=True)
class Columns:
    """The file's two columns as given (trimmed), each with its row number (header = 1)."""

    rows: NDArray[np.int64]
    numbers: pa.Array
    consents: pa.Array


def count_rows(source: TextIO) -> int:
    """Data rows in a file (for a progress bar's total); rewinds it."""
    source.seek(0)
    total = max(sum(1 for _ in source) - 1, 0)
    source.seek(0)
    return total


def _positions(header_line: str) -> tuple[int, int, int]:
    header = [h.strip().lower() for h in next(csv.reader([header_line]), [])]
    missing = [name for name in (NUMBER, CONSENT) if name not in header]
    if missing:
        raise InvalidInput(
            f"the file's first row must name the columns {NUMBER} and {CONSENT}",
            code="invalid_file",
            field=", ".join(missing),
        )
    return header.index(NUMBER), header.index(CONSENT), len(header)


def read_columns(text: str) -> Columns:
    """Split the file into its rows' number and date columns, in row order."""
    header_line, _, body = text.partition("\n")
    at_number, at_consent, width = _positions(header_line)
    names = [f"c{i}" for i in range(width)]
    if not body:
        empty = pa.array([], pa.string())
        return Columns(np.zeros(0, dtype=np.int64), empty, empty)
    odd: list[tuple[int, str]] = []  # rows whose count of values is not the header's

    def keep_aside(row: Any) -> str:
        odd.append((int(row.number) + 1, str(row.text)))  # Arrow counts the body's lines
        return "skip"

    table = pa_csv.read_csv(
        pa.BufferReader(body.encode()),
        read_options=pa_csv.ReadOptions(column_names=names, use_threads=False),
        parse_options=pa_csv.ParseOptions(invalid_row_handler=keep_aside, ignore_empty_lines=False),
        convert_options=pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            include_columns=[names[at_number], names[at_consent]],
        ),
    )
    numbers = table.column(names[at_number]).combine_chunks()
    consents = table.column(names[at_consent]).combine_chunks()
    total = table.num_rows + len(odd)
    rows = np.arange(2, total + 2, dtype=np.int64)
    if odd:
        # The odd rows' values are read by the csv module and the file put back in row order.
        aside = np.array([number for number, _ in odd], dtype=np.int64)
        rows = np.concatenate([np.setdiff1d(rows, aside), aside])
        needed = max(at_number, at_consent) + 1  # a shorter row has neither value
        values = [next(csv.reader([line]), []) for _, line in odd]
        values = [v if len(v) >= needed else [""] * needed for v in values]
        numbers = pa.concat_arrays([numbers, pa.array([v[at_number] for v in values], pa.string())])
        consents = pa.concat_arrays(
            [consents, pa.array([v[at_consent] for v in values], pa.string())]
        )
        order = np.argsort(rows, kind="stable")
        rows, numbers, consents = rows[order], numbers.take(order), consents.take(order)
    return Columns(rows, pc.utf8_trim_whitespace(numbers), pc.utf8_trim_whitespace(consents))


def _day_ordinals(consents: pa.Array) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Each date as `date.toordinal`, and whether it is a calendar date written YYYY-MM-DD.
    Arrow's cast to a date is strict (2021-02-29 fails), so a chunk with a bad date is read
    again one value at a time, to tell which."""
    shaped = pc.match_substring_regex(consents, _ISO_DAY).to_numpy(zero_copy_only=False)
    given = pc.if_else(pa.array(shaped), consents, "1970-01-01")
    try:
        epoch_days = pc.cast(given, pa.date32()).cast(pa.int32()).to_numpy(zero_copy_only=False)
        days = epoch_days.astype(np.int64) + _EPOCH_ORDINAL
    except pa.ArrowInvalid:
        days = np.array([_ordinal(text) for text in given.to_pylist()], dtype=np.int64)
    good = shaped & (days >= 1)  # year 0000 reads, but is no date
    return days, good


def _ordinal(text: str) -> int:
    try:
        return date.fromisoformat(text).toordinal()
    except ValueError:
        return -1


def answer_columns(
    index: DisconnectionIndex,
    columns: Columns,
    answers: TextIO,
    rejects: TextIO,
    progress: Callable[[int], None] = lambda done: None,
) -> FileReport:
    """Answer the good rows into `answers` (with its header), bad rows into `rejects`."""
    report = FileReport()
    answers.write(",".join(ANSWER_HEADER) + "\n")
    reject_out = csv.writer(rejects)
    reject_out.writerow(REJECT_HEADER)
    words = pa.array([a.value for a in ANSWERS])
    for start in range(0, len(columns.rows), CHUNK):
        stop = min(start + CHUNK, len(columns.rows))
        numbers = columns.numbers.slice(start, stop - start)
        consents = columns.consents.slice(start, stop - start)
        good_number = pc.match_substring_regex(numbers, _E164).to_numpy(zero_copy_only=False)
        days, good_day = _day_ordinals(consents)
        good = good_number & good_day
        for at in np.flatnonzero(~good).tolist():
            name, message = (NUMBER, BAD_NUMBER) if not good_number[at] else (CONSENT, BAD_DATE)
            reject_out.writerow((int(columns.rows[start + at]), name, message))
        report.rejected += int((~good).sum())
        kept = pa.array(good)
        numbers, consents = numbers.filter(kept), consents.filter(kept)
        keys = pc.cast(pc.utf8_slice_codeunits(numbers, 1), pa.int64()).to_numpy()
        codes = index.answer(keys, days[good])
        out = io.BytesIO()
        pa_csv.write_csv(
            pa.table({NUMBER: numbers, CONSENT: consents, "answer": words.take(codes)}),
            out,
            write_options=pa_csv.WriteOptions(include_header=False, quoting_style="none"),
        )
        answers.write(out.getvalue().decode())
        for code, count in enumerate(np.bincount(codes, minlength=len(ANSWERS)).tolist()):
            report.counts[ANSWERS[code].value] += count
        report.answered += len(codes)
        progress(stop - start)
    return report


def check_file(
    session: Session,
    actor: Actor,
    source: TextIO,
    answers: TextIO,
    rejects: TextIO,
    progress: Callable[[int], None] = lambda done: None,
) -> FileReport:
    """Answer every good row of `source` into `answers`, bad rows into `rejects`.

    A file of more than `FILE_LIMIT` rows is refused before anything is written.
    """
    ensure_can_check(actor)
    total = count_rows(source)
    if total > FILE_LIMIT:
        raise InvalidInput(
            f"a file holds at most {FILE_LIMIT:,} rows; this one has {total:,}: split it",
            code="file_too_large",
        )
    columns = read_columns(source.read())
    index = load_index(session, actor.operator_id)
    return answer_columns(index, columns, answers, rejects, progress)
