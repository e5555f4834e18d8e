"""The reassigned-number file read in columns answers and rejects row by row as the rule does:
rows with more or fewer values than the header, blank rows, quoted values, padded values,
dates that do not exist, and rows Arrow sets aside are all put back in their place."""

from __future__ import annotations

import csv
import io
import random
from datetime import date

import numpy as np

from lineclose.domain.reassigned import RECORDS_SINCE, Reassigned
from lineclose.services.reassigned import DisconnectionIndex
from lineclose.services.reassigned_files import (
    BAD_DATE,
    BAD_NUMBER,
    answer_columns,
    read_columns,
)

DAY = date(2023, 6, 1)
INDEX = DisconnectionIndex.build(
    np.array([12025550100, 12025550101], dtype=np.int64),
    np.array([DAY.toordinal(), DAY.toordinal()], dtype=np.int64),
)


def _check(text: str) -> tuple[list[list[str]], list[list[str]]]:
    answers, rejects = io.StringIO(), io.StringIO()
    report = answer_columns(INDEX, read_columns(text), answers, rejects)
    answered = list(csv.reader(io.StringIO(answers.getvalue())))
    rejected = list(csv.reader(io.StringIO(rejects.getvalue())))
    assert report.answered == len(answered) - 1 and report.rejected == len(rejected) - 1
    return answered[1:], rejected[1:]


def _expected(rule_date: str, number: str) -> str:
    """The rule, row by row, for the one-at-a-time comparison."""
    consent = date.fromisoformat(rule_date)
    if int(number[1:]) in (12025550100, 12025550101) and consent <= DAY:
        return Reassigned.YES.value
    return (Reassigned.NO_DATA if consent < RECORDS_SINCE else Reassigned.NO).value


def test_odd_rows_are_answered_or_rejected_in_their_place() -> None:
    text = (
        "x,Phone_Number ,y,consent_date\r\n"
        "1,+12025550100,2,2021-01-01\r\n"  # 2
        "\r\n"  # 3: blank
        "1,+12025550101\r\n"  # 4: too short
        "1,+12025550101,2,2020-02-30,9\r\n"  # 5: a value more, a day that does not exist
        ',"+12025550101",,2021-05-05\r\n'  # 6: quoted
        "1,+0123456,2,2021-01-01\r\n"  # 7
        "1,12025550100,2,2021-01-01\r\n"  # 8
        "1,+12025550100,2,2021-1-01\r\n"  # 9
        "1,+12025550100,2,0000-01-01\r\n"  # 10
        "1, +12025550101 ,2, 2019-02-28 \r\n"  # 11: padded
        "1,+12025550101,2,2021-02-29,\r\n"  # 12
    )
    answered, rejected = _check(text)
    assert answered == [
        ["+12025550100", "2021-01-01", "yes"],
        ["+12025550101", "2021-05-05", "yes"],
        ["+12025550101", "2019-02-28", "yes"],
    ]
    assert rejected == [
        ["3", "phone_number", BAD_NUMBER],
        ["4", "phone_number", BAD_NUMBER],
        ["5", "consent_date", BAD_DATE],
        ["7", "phone_number", BAD_NUMBER],
        ["8", "phone_number", BAD_NUMBER],
        ["9", "consent_date", BAD_DATE],
        ["10", "consent_date", BAD_DATE],
        ["12", "consent_date", BAD_DATE],
    ]


def test_a_header_alone_answers_nothing() -> None:
    assert _check("phone_number,consent_date") == ([], [])
    assert _check("phone_number,consent_date\n") == ([], [])


def test_random_files_match_the_rule_row_by_row() -> None:
    rng = random.Random(8)
    values = ["+12025550100", "+12025550101", "+13035550000", "+1", "x", "", " +12025550100"]
    days = ["2020-01-01", "2023-06-01", "2023-06-02", "2021-02-29", "2024-02-29", "1-1-1", ""]
    for _ in range(40):
        rows = [(rng.choice(values), rng.choice(days)) for _ in range(rng.randint(1, 60))]
        text = "phone_number,consent_date\n" + "\n".join(f"{n},{d}" for n, d in rows)
        answered, rejected = _check(text)
        expected_answers, expected_rejects = [], []
        for row, (number, day) in enumerate(rows, start=2):
            number, day = number.strip(), day.strip()
            if number[:1] != "+" or not 5 <= len(number) - 1 <= 15:
                expected_rejects.append([str(row), "phone_number", BAD_NUMBER])
                continue
            try:
                date.fromisoformat(day)
            except ValueError:
                expected_rejects.append([str(row), "consent_date", BAD_DATE])
                continue
            expected_answers.append([number, day, _expected(day, number)])
        assert (answered, rejected) == (expected_answers, expected_rejects)
