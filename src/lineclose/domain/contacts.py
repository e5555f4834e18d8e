"""Where money and notices go after closure: the refund account and the alternate contact."""

from __future__ import annotations

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


def validate_alternate_contact(raw: str, line_msisdn: str) -> str:
    """An e-mail address or an E.164 phone number other than the line being closed: the closed
    line cannot receive the notices sent after closure."""
    text = raw.strip()
    if "@" in text:
        local, _, domain = text.partition("@")
        if not local or "." not in domain or " " in text:
            raise InvalidIdentifier(
                "alternate_contact", "alternate_contact must be an e-mail address or a phone number"
            )
        return text
    try:
        number = normalize_msisdn(text)
    except InvalidIdentifier as exc:
        raise InvalidIdentifier(
            "alternate_contact",
            "alternate_contact must be an e-mail address or a phone number in E.164 form",
        ) from exc
    if number == line_msisdn:
        raise InvalidIdentifier(
            "alternate_contact",
            "alternate_contact must not be the line being closed: it cannot receive notices after",
        )
    return number
