"""The reassigned-number rule (RULES.md, us): has a number left the consenting subscriber?

Callers hold (number, date of consent) pairs. The answer is `yes` when the number was
permanently disconnected on or after the date of consent (a later subscriber may hold it now),
`no` when no such disconnection is known, and `no_data` when none is known and the date is
earlier than the first day the records cover (the Reassigned Numbers Database began on
2021-01-27: a quiet record before then proves nothing). Only the latest disconnection of a
number matters: any disconnection on or after the date implies the latest one is.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

RECORDS_SINCE = date(2021, 1, 27)


class Reassigned(StrEnum):
    YES = "yes"
    NO = "no"
    NO_DATA = "no_data"


def reassigned(
    latest_disconnection: date | None, consent: date, records_since: date = RECORDS_SINCE
) -> Reassigned:
    if latest_disconnection is not None and latest_disconnection >= consent:
        return Reassigned.YES
    if consent < records_since:
        return Reassigned.NO_DATA
    return Reassigned.NO
