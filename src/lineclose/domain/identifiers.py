"""Identifiers validated at the edge: phone numbers, SIM serials, subscriber identities, ID numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import phonenumbers
from stdnum import luhn
from stdnum.cn import ric
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

from lineclose.domain.phone_patterns import check_plain


class InvalidIdentifier(ValueError):
    """A value that does not parse as the identifier it claims to be; the message says what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


_NOT_VALID = "msisdn is not a valid phone number: check the country code and length"


def normalize_msisdn(raw: str, default_region: str | None = None) -> str:
    """Return the number in E.164; national forms need the operator's region."""
    text = raw.strip()
    verdict = check_plain(text)  # E.164 as given: phonenumbers' patterns, without its parser
    if verdict is True:
        return text
    if verdict is False:
        raise InvalidIdentifier("msisdn", _NOT_VALID)
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentifier(
            "msisdn", "msisdn must be a phone number in E.164 form, such as +8613800138000"
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidIdentifier("msisdn", _NOT_VALID)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def region_of(msisdn: str) -> str | None:
    return phonenumbers.region_code_for_number(phonenumbers.parse(msisdn))


def normalize_iccid(raw: str) -> str:
    """ICCID: 19 or 20 digits starting 89 (ITU-T E.118) with a Luhn check digit."""
    digits = "".join(raw.split())
    if not digits.isdigit() or len(digits) not in (19, 20) or not digits.startswith("89"):
        raise InvalidIdentifier("iccid", "iccid must be 19 or 20 digits starting with 89")
    if not (_luhn_valid(digits) if digits.isascii() else luhn.is_valid(digits)):
        raise InvalidIdentifier(
            "iccid", "iccid check digit is wrong: re-read the number on the SIM"
        )
    return digits


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def _luhn_valid(digits: str) -> bool:
    """`luhn.is_valid` for ASCII digits, without its generic alphabet lookups."""
    total = sum(map(int, digits[-1::-2])) + sum(_DOUBLED[int(c)] for c in digits[-2::-2])
    return total % 10 == 0


def normalize_imsi(raw: str) -> str:
    digits = raw.strip()
    if not digits.isdigit() or not 14 <= len(digits) <= 15:
        raise InvalidIdentifier("imsi", "imsi must be 14 or 15 digits")
    return digits


@dataclass(frozen=True)
class IdNumber:
    scheme: str  # "cn_ric" or "generic"
    value: str


def normalize_id_number(raw: str, scheme: str, today: date) -> IdNumber:
    """Validate an ID number for the profile's scheme.

    python-stdnum checks the Chinese resident ID's check digit but accepts a birth date in
    the future and keeps inner spaces; a future birth date is refused and spaces removed here.
    """
    compact = "".join(raw.split()).upper()
    if scheme == "cn_ric":
        try:
            value, born = _cn_ric(compact)
        except ValidationError as exc:
            raise InvalidIdentifier(
                "id_number", "id_number is not a valid resident ID: check its 18 characters"
            ) from exc
        if born > today:
            raise InvalidIdentifier("id_number", "id_number has a birth date in the future")
        return IdNumber(scheme, value)
    if not compact.isalnum() or not 5 <= len(compact) <= 32:
        raise InvalidIdentifier("id_number", "id_number must be 5 to 32 letters or digits")
    return IdNumber("generic", compact)


def _cn_ric(compact: str) -> tuple[str, date]:
    """`ric.validate` and the birth date. For plain ASCII (what files and forms send), the
    checks `ric.validate` makes, in its order, with the birth-place lookup (a search of
    python-stdnum's region table, most of the time) made once per region and birth year."""
    if not compact.isascii():
        value = ric.validate(compact)  # full-width digits and the like: stdnum normalises them
        return value, ric.get_birth_date(value)
    if len(compact) != 18:
        raise InvalidLength()
    if not compact[:-1].isdigit():
        raise InvalidFormat()
    if compact[-1] != ric.calc_check_digit(compact):
        raise InvalidChecksum()
    try:
        born = date(int(compact[6:10]), int(compact[10:12]), int(compact[12:14]))
    except ValueError:
        raise InvalidComponent() from None
    if not _birth_place_known(compact[:6], born.year):
        raise InvalidComponent()
    return compact, born


@lru_cache(maxsize=16_384)
def _birth_place_known(region: str, year: int) -> bool:
    """Whether `ric.get_birth_place` knows the region for that birth year: it reads nothing
    else of the number, so one answer holds for every number of that region and year."""
    try:
        ric.get_birth_place(f"{region}{year:04d}0101000")
    except ValidationError:
        return False
    return True


def mask_middle(value: str, keep_start: int, keep_end: int) -> str:
    """Keep the first and last characters and star the rest (`110***********1234`)."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * hidden + value[len(value) - keep_end :]


def mask_msisdn(msisdn: str) -> str:
    return mask_middle(msisdn, 5 if msisdn.startswith("+86") else 4, 4)


# Where a profile accepts the last characters of an ID number as evidence (cn: the last six),
# a mask must not reveal any of them: four shown would leave a hundred guesses.
ID_PARTIAL_LENGTH = 6


def accepted_partial(value: str, partial_allowed: bool) -> str:
    """The part of an ID number a partial check accepts in place of the whole ("" when none)."""
    return value[-ID_PARTIAL_LENGTH:] if partial_allowed else ""


def mask_id_number(value: str, partial_allowed: bool) -> str:
    """Show the first three characters (the region for a Chinese ID) and, only where no partial
    check is accepted, the last four; never a character the partial check accepts."""
    if not partial_allowed:
        return mask_middle(value, 3, 4)
    shown = max(0, min(3, len(value) - ID_PARTIAL_LENGTH))
    return value[:shown] + "*" * (len(value) - shown)


def mask_account(value: str) -> str:
    compact = "".join(value.split())
    return mask_middle(compact, 2, 4)


def mask_name(value: str) -> str:
    text = value.strip()
    if not text:
        return ""
    return text[0] + "*" * max(1, len(text) - 1)


def mask_contact(value: str) -> str:
    if "@" in value:
        local, _, domain = value.partition("@")
        return (local[:1] + "***@" + domain) if local else "***@" + domain
    return mask_msisdn(value)
