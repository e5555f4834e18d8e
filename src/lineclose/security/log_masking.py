"""Log records never carry personal data: phone numbers, ID numbers and bank accounts are masked.

The mask is applied when a record is created (a record factory), so it holds for every logger,
every handler and every library that logs through `logging`, including ones added later.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from lineclose.domain.identifiers import mask_middle

# E.164: a plus and 8 to 15 digits, optionally grouped by spaces or dashes as people type them.
_E164 = re.compile(r"\+\d(?:[ -]?\d){7,14}")
# IBAN: two letters, two check digits, then 11 to 30 letters or digits.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
# Chinese resident ID (17 digits and a digit or X) and any other run of 8 to 34 digits: ID numbers
# and bank accounts look alike, and both must go.
_CN_RIC = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_LONG_DIGITS = re.compile(r"(?<![0-9A-Za-z])\d{8,34}(?![0-9A-Za-z])")
# Other ID document numbers (passport, national insurance): letters and digits mixed, 8 to 20 long.
_MIXED_ID = re.compile(r"\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z]{1,3}\d{6,17}[A-Z]?\b")


def _mask(match: re.Match[str]) -> str:
    compact = re.sub(r"[ -]", "", match.group(0))
    return mask_middle(compact, 3, 2) if len(compact) > 8 else "*" * len(compact)


def mask_personal_data(text: str) -> str:
    """Replace every phone number, IBAN, ID number and account number in `text` by a masked form."""
    for pattern in (_E164, _IBAN, _CN_RIC, _LONG_DIGITS, _MIXED_ID):
        text = pattern.sub(_mask, text)
    return text


class PersonalDataFilter(logging.Filter):
    """Rewrites the message (arguments merged in) and any traceback text with personal data masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        _scrub(record)
        return True


def _scrub(record: logging.LogRecord) -> None:
    if getattr(record, "_lineclose_masked", False):
        return
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        message = str(record.msg)
    record.msg = mask_personal_data(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_personal_data(record.exc_text)
    # The traceback is kept only as masked text: a formatter would otherwise render it again.
    record.exc_info = None
    record._lineclose_masked = True


_installed = False


def install() -> None:
    """Mask every log record from now on; calling it again changes nothing."""
    global _installed
    if _installed:
        return
    previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _scrub(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
