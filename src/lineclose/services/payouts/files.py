"""The files a bank takes: ISO 20022 pain.001 credit transfers, or the documented CSV.

pain.001.001.03 (the version every SEPA bank and most UK banks take) is built and validated
against its XSD by `sepaxml`; IBANs and BICs are checked by `schwifty`. Banks and wallets
without ISO 20022 (the cn profile: bank card or Alipay account) take the CSV below, one
payment a row, UTF-8, comma-separated, with a header:

    end_to_end_id,beneficiary_name,account,account_type,amount,currency,remittance

`amount` is a decimal with the currency's minor digits (`123.45`); `account_type` is
`bank_card` for a card or account number and `alipay` for an Alipay login (e-mail or phone).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaTransfer

PAIN_001 = "pain.001"
CSV = "csv"
PAIN_SCHEMA = "pain.001.001.03"
CSV_HEADER = (
    "end_to_end_id",
    "beneficiary_name",
    "account",
    "account_type",
    "amount",
    "currency",
    "remittance",
)
# ISO 20022 currencies the operator's banks take as pain.001; anything else is paid by CSV.
ISO20022_CURRENCIES = frozenset({"EUR", "GBP"})


class BadAccount(ValueError):
    """An account a bank would refuse; the message never repeats the account."""


@dataclass(frozen=True)
class Debtor:
    name: str
    iban: str
    bic: str


@dataclass(frozen=True)
class PayoutItem:
    end_to_end_id: str
    name: str
    account: str
    amount_minor: int
    currency: str
    remittance: str


def file_format_for(currency: str) -> str:
    return PAIN_001 if currency.upper() in ISO20022_CURRENCIES else CSV


def check_iban(value: str) -> str:
    try:
        return str(IBAN(value).compact)
    except SchwiftyException as exc:
        raise BadAccount("not a valid IBAN: check the country code and digits") from exc


def check_bic(value: str) -> str:
    try:
        return str(BIC(value).compact)
    except SchwiftyException as exc:
        raise BadAccount("not a valid BIC") from exc


def bic_of(iban: str) -> str | None:
    """The BIC of the bank that holds the IBAN, from schwifty's bank registry, when it knows it."""
    try:
        bic = IBAN(iban).bic
    except SchwiftyException:
        return None
    return str(bic.compact) if bic is not None else None


def _decimal(minor: int) -> str:
    return str(Decimal(minor).scaleb(-2).quantize(Decimal("0.01")))


class _Transfer(SepaTransfer):  # type: ignore[misc]
    """The group header carries the batch reference as its message id, so the bank's status
    report names the batch it answers."""

    def __init__(self, config: dict[str, object], message_id: str) -> None:
        self._message_id = message_id
        super().__init__(config, schema=PAIN_SCHEMA, clean=True)

    def _create_header(self) -> None:
        self.msg_id = self._message_id
        super()._create_header()


def build_pain001(
    debtor: Debtor,
    items: list[PayoutItem],
    *,
    message_id: str,
    execution_date: date,
    currency: str,
) -> bytes:
    """One pain.001.001.03 message, one payment information block, validated against the XSD."""
    transfer = _Transfer(
        {
            "name": debtor.name,
            "IBAN": debtor.iban,
            "BIC": debtor.bic,
            "batch": True,
            "currency": currency,
            # The SEPA service level is for euro payments; a GBP file leaves it to the bank.
            "domestic": currency != "EUR",
        },
        message_id,
    )
    for item in items:
        payment: dict[str, object] = {
            "name": item.name,
            "IBAN": check_iban(item.account),
            "amount": item.amount_minor,
            "execution_date": execution_date,
            "description": item.remittance,
            "endtoend_id": item.end_to_end_id,
        }
        bic = bic_of(item.account)
        if bic:
            payment["BIC"] = bic
        transfer.add_payment(payment)
    data: bytes = transfer.export(validate=True, pretty_print=True)
    return data


def account_type(account: str) -> str:
    return "alipay" if ("@" in account or account.startswith("+")) else "bank_card"


def build_csv(items: list[PayoutItem]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for item in items:
        writer.writerow(
            [
                item.end_to_end_id,
                item.name,
                item.account,
                account_type(item.account),
                _decimal(item.amount_minor),
                item.currency,
                item.remittance,
            ]
        )
    return out.getvalue().encode("utf-8")
