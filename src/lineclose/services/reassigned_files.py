"""Reassigned-number checks by file: up to 250,000 (number, date of consent) rows, CSV in and out.

Input: a header row naming `phone_number` and `consent_date` (other columns are ignored), then
one pair per row. Good rows are answered; a bad row goes to the rejects with its row number
(the header is row 1), the field and what is wrong, and never stops the others. Rows are read
and answered in chunks so a progress bar can follow; the disconnections are loaded once.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TextIO

import numpy as np
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


@dataclass
class FileReport:
    answered: int = 0
    rejected: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {a.value: 0 for a in ANSWERS})


def count_rows(source: TextIO) -> int:
    """Data rows in a file (for a progress bar's total); rewinds it."""
    source.seek(0)
    total = max(sum(1 for _ in source) - 1, 0)
    source.seek(0)
    return total


def _chunks(reader: Iterator[list[str]], size: int) -> Iterator[list[list[str]]]:
    chunk: list[list[str]] = []
    for row in reader:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _header(reader: Iterator[list[str]]) -> tuple[int, int]:
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [name for name in (NUMBER, CONSENT) if name not in header]
    if missing:
        raise InvalidInput(
            f"the file's first row must name the columns {NUMBER} and {CONSENT}",
            code="invalid_file",
            field=", ".join(missing),
        )
    return header.index(NUMBER), header.index(CONSENT)


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
    reader = csv.reader(source)
    at_number, at_consent = _header(reader)
    index = load_index(session, actor.operator_id)
    answer_out, reject_out = csv.writer(answers), csv.writer(rejects)
    answer_out.writerow(ANSWER_HEADER)
    reject_out.writerow(REJECT_HEADER)
    run = _Run(index, at_number, at_consent, answer_out, reject_out)
    for chunk in _chunks(reader, CHUNK):
        run.check(chunk)
        progress(len(chunk))
    return run.report


@dataclass
class _Run:
    index: DisconnectionIndex
    at_number: int
    at_consent: int
    answers: Any  # csv writers: their class is private to the csv module
    rejects: Any
    report: FileReport = field(default_factory=FileReport)
    row_number: int = 1

    def _reject(self, field_name: str, message: str) -> None:
        self.rejects.writerow((self.row_number, field_name, message))
        self.report.rejected += 1

    def check(self, chunk: list[list[str]]) -> None:
        """One pass in Python per row (cheap string tests, `date.fromisoformat` in C), then the
        rule over the chunk's arrays and one `writerows`."""
        keys: list[int] = []
        days: list[int] = []
        good: list[tuple[str, str]] = []
        at_number, at_consent = self.at_number, self.at_consent
        width = max(at_number, at_consent) + 1
        from_iso = date.fromisoformat
        for row in chunk:
            self.row_number += 1
            if len(row) < width:
                number, consent = "", ""
            else:
                number, consent = row[at_number].strip(), row[at_consent].strip()
            digits = number[1:]
            if not (
                number[:1] == "+" and 5 <= len(digits) <= 15 and digits.isdigit()
            ) or digits.startswith("0"):
                self._reject(NUMBER, "must be E.164: '+' then 5 to 15 digits")
                continue
            try:
                day = from_iso(consent).toordinal() if len(consent) == 10 else -1
            except ValueError:
                day = -1
            if day < 0:
                self._reject(CONSENT, "must be a date, YYYY-MM-DD")
                continue
            keys.append(int(digits))
            days.append(day)
            good.append((number, consent))
        codes = self.index.answer(np.array(keys, dtype=np.int64), np.array(days, dtype=np.int64))
        words = [a.value for a in ANSWERS]
        self.answers.writerows(
            (number, consent, words[code])
            for (number, consent), code in zip(good, codes.tolist(), strict=True)
        )
        for code, count in enumerate(np.bincount(codes, minlength=len(ANSWERS)).tolist()):
            self.report.counts[words[code]] += count
        self.report.answered += len(good)
