"""Where money and notices go after closure: the refund account and the alternate contact."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from stdnum import iban
from stdnum.exceptions import ValidationError

from lineclose.domain.identifiers import InvalidIdentifier, normalize_msisdn


def validate_refund_account(raw: str) -> str:
    """An IBAN (checked digits) or a domestic account number of 8 to 34 digits, compacted."""
    compact = "".join(raw.split()).upper()
    if compact[:2].isalpha():
        try:
            return str(iban.validate(compact))
        except ValidationError as exc:
            raise InvalidIdentifier(
                "refund_account",
                "refund_account is not a valid IBAN: check the country code and digits",
            ) from exc
    if not compact.isdigit() or not 8 <= len(compact) <= 34:
        raise InvalidIdentifier(
            "refund_account",
            "refund_account must be an IBAN or a bank account number of 8 to 34 digits",
        )
    return compact


# What a phone number may be written with; anything else (line breaks, markup) is refused
# before phonenumbers, which would otherwise pick a number out of surrounding text.
PHONE_CHARACTERS = frozenset("+0123456789 -().")
NOT_A_CONTACT = "alternate_contact must be an e-mail address or a phone number in E.164 form"


def validate_alternate_contact(raw: str, line_msisdn: str) -> str:
    """An e-mail address (checked by email-validator, no lookup) or an E.164 phone number other
    than the line being closed: the closed line cannot receive the notices sent after closure.
    Line breaks and markup are refused: the contact goes into e-mail headers and pages."""
    text = raw.strip()
    if "@" in text:
        try:
            checked = validate_email(text, check_deliverability=False)
        except EmailNotValidError as exc:
            raise InvalidIdentifier("alternate_contact", NOT_A_CONTACT) from exc
        return str(checked.normalized)
    if not text or not set(text) <= PHONE_CHARACTERS:
        raise InvalidIdentifier("alternate_contact", NOT_A_CONTACT)
    try:
        number = normalize_msisdn(text)
    except InvalidIdentifier as exc:
        raise InvalidIdentifier("alternate_contact", NOT_A_CONTACT) from exc
    if number == line_msisdn:
        raise InvalidIdentifier(
            "alternate_contact",
            "alternate_contact must not be the line being closed: it cannot receive notices after",
        )
    return number
