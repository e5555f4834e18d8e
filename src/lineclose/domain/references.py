"""Closure references: `LC-<year>-XXXXX-XXXXC`, nine random Crockford base32 characters and a
check character, in two groups of five so a subscriber can read one out on the phone.

Nine characters of 32 give 32**9 (about 3.5e13) references a year: at a million closures a year
about one clash in seventy years, at ten million about one a year, and the caller draws again
when one happens. The check character (Luhn mod 32) catches every single mistyped character and
most swapped neighbours before a lookup is made. The reference is kept this short because it
goes into every SMS notice, and a Chinese notice must stay within one 70-character segment.
"""

from __future__ import annotations

import re

from lineclose.domain.identifiers import InvalidIdentifier

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 9
PREFIX = "LC"
# Crockford base32 reads I and L as 1 and O as 0, the letters people say for those digits.
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SHAPE = re.compile(r"^LC-?(\d{4})-?(.+)$")


def _luhn_sum(symbols: str, double_first: bool) -> int:
    total = 0
    double = double_first
    for symbol in reversed(symbols):
        addend = ALPHABET.index(symbol) * (2 if double else 1)
        total += addend // len(ALPHABET) + addend % len(ALPHABET)
        double = not double
    return total


def check_character(body: str) -> str:
    """The Luhn mod 32 check character of a reference body."""
    n = len(ALPHABET)
    return ALPHABET[(n - _luhn_sum(body, double_first=True) % n) % n]


def is_valid_body(body_and_check: str) -> bool:
    return (
        all(c in ALPHABET for c in body_and_check)
        and _luhn_sum(body_and_check, double_first=False) % len(ALPHABET) == 0
    )


def format_reference(year: int, body: str) -> str:
    """`LC-2026-` then the body and its check character in two groups of five."""
    if len(body) != BODY_LENGTH or any(c not in ALPHABET for c in body):
        raise ValueError(f"a reference body is {BODY_LENGTH} characters of {ALPHABET}")
    full = body + check_character(body)
    return f"{PREFIX}-{year}-{full[:5]}-{full[5:]}"


def parse_reference(raw: str) -> str:
    """The canonical form of a reference typed or read out by a person: case, spaces and dashes
    do not matter, and I, L and O read as 1, 1 and 0. A reference of the current shape whose
    check character does not match is refused; references of earlier shapes are returned as
    typed (upper case) so they are still found."""
    text = "".join(raw.split()).upper()
    shape = _SHAPE.match(text)
    if shape is None:
        return text
    year, rest = shape.group(1), shape.group(2).replace("-", "")
    if len(rest) != BODY_LENGTH + 1:
        return text
    symbols = rest.translate(_READ_AS)
    if any(c not in ALPHABET for c in symbols):
        return text
    if not is_valid_body(symbols):
        raise InvalidIdentifier(
            "reference",
            "the reference does not check out: a character was probably mistyped",
        )
    return format_reference(int(year), symbols[:BODY_LENGTH])
