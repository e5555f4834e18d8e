"""Row validation for every kind of record an operator sends, shared by files and the sync API.

Each field is parsed by the same validators the API uses (phonenumbers, python-stdnum, ISO
dates, whole minor units in the operator's currency); the first bad field of a row is reported
with a message that says what to fix, and never repeats the value (it may be personal data).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

from lineclose.domain.facts import EtfRule, LineKind, PaymentMode
from lineclose.domain.identifiers import (
    InvalidIdentifier,
    normalize_iccid,
    normalize_id_number,
    normalize_imsi,
    normalize_msisdn,
)
from lineclose.domain.profiles import JurisdictionProfile

MAX_AMOUNT_MINOR = 10**12


class RowError(ValueError):
    """A bad value in one row: the field it is in and what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Context:
    profile: JurisdictionProfile
    today: date


Parser = Callable[[str, Context], Any]


@dataclass(frozen=True)
class Field:
    name: str
    parse: Parser
    required: bool = True
    default: Any = None
    personal: bool = False


@lru_cache(maxsize=65_536)
def _normalized_msisdn(raw: str, region: str) -> str | InvalidIdentifier:
    # The same number comes back in every file of an import: parse it once (bounded cache).
    try:
        return normalize_msisdn(raw, region)
    except InvalidIdentifier as exc:
        return exc


def _msisdn(raw: str, ctx: Context) -> str:
    found = _normalized_msisdn(raw, ctx.profile.country)
    if isinstance(found, InvalidIdentifier):
        raise RowError("msisdn", str(found))
    return found


def _identifier(normalize: Callable[[str], str]) -> Parser:
    def parse(raw: str, ctx: Context) -> str:
        try:
            return normalize(raw)
        except InvalidIdentifier as exc:
            raise RowError(exc.field, str(exc)) from exc

    return parse


def _id_number(raw: str, ctx: Context) -> str:
    try:
        return normalize_id_number(raw, ctx.profile.id_scheme, ctx.today).value
    except InvalidIdentifier as exc:
        raise RowError("id_number", str(exc)) from exc


def _day(raw: str, ctx: Context) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise RowError("", "must be a date written YYYY-MM-DD, such as 2026-11-30") from None


def _past_day(raw: str, ctx: Context) -> date:
    day = _day(raw, ctx)
    if day > ctx.today:
        raise RowError("", f"must not be after today ({ctx.today.isoformat()})")
    return day


def _amount(raw: str, ctx: Context) -> int:
    text = raw.strip()
    if not text.isdigit():
        raise RowError(
            "", "must be a whole number of minor units (cents, fen, pence), such as 1250"
        )
    value = int(text)
    if value > MAX_AMOUNT_MINOR:
        raise RowError("", f"must be at most {MAX_AMOUNT_MINOR} minor units")
    return value


def _currency(raw: str, ctx: Context) -> str:
    code = raw.strip().upper()
    if code != ctx.profile.currency:
        raise RowError("", f"must be the operator's currency, {ctx.profile.currency}")
    return code


def _choice(*allowed: str) -> Parser:
    def parse(raw: str, ctx: Context) -> str:
        value = raw.strip().lower()
        if value not in allowed:
            raise RowError("", f"must be one of: {', '.join(allowed)}")
        return value

    return parse


def _text(limit: int) -> Parser:
    def parse(raw: str, ctx: Context) -> str:
        value = raw.strip()
        if not value or len(value) > limit:
            raise RowError("", f"must be 1 to {limit} characters")
        return value

    return parse


def _billing_day(raw: str, ctx: Context) -> int:
    text = raw.strip()
    if not text.isdigit() or not 1 <= int(text) <= 28:
        raise RowError("", "must be a day of the month from 1 to 28")
    return int(text)


def _email(raw: str, ctx: Context) -> str:
    value = raw.strip()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or " " in value or len(value) > 200:
        raise RowError("", "must be an e-mail address such as name@example.org")
    return value


def _url(raw: str, ctx: Context) -> str:
    value = raw.strip()
    parsed = urlparse(value)
    if parsed.scheme not in ("https", "http") or not parsed.netloc or len(value) > 300:
        raise RowError("", "must be an http(s) URL such as https://hooks.example.org/numbers")
    return value


def _flag(raw: str, ctx: Context) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "y"):
        return True
    if value in ("0", "false", "no", "n"):
        return False
    raise RowError("", "must be true or false")


MSISDN = Field("msisdn", _msisdn)
TEXT_REF = _text(64)

SUBSCRIBER = (
    Field("subscriber_ref", TEXT_REF),
    Field("subscriber_kind", _choice("personal", "business"), False, "personal"),
    Field("name", _text(200), False, personal=True),
    Field("id_number", _id_number, False, personal=True),
    Field("email", _email, False, personal=True),
)
LINE = (
    MSISDN,
    Field("iccid", _identifier(normalize_iccid)),
    Field("imsi", _identifier(normalize_imsi)),
    Field("subscriber_ref", TEXT_REF),
    Field("line_kind", _choice(*(k.value for k in LineKind)), False, "sim"),
    Field("payment", _choice(*(p.value for p in PaymentMode)), False, "prepaid"),
    Field("monthly_fee_minor", _amount, False, 0),
    Field("billing_day", _billing_day, False, 1),
    Field("activated_on", _past_day),
    Field("fleet_account", TEXT_REF, False),
)
BALANCE = (
    MSISDN,
    Field("paid_credit_minor", _amount),
    Field("promo_credit_minor", _amount, False, 0),
)
UNBILLED_USAGE = (MSISDN, Field("unbilled_usage_minor", _amount))
LAST_USAGE = (MSISDN, Field("last_usage_on", _past_day))
CONTRACT = (
    MSISDN,
    Field("commitment_end", _day),
    Field("etf_rule", _choice(*(r.value for r in EtfRule))),
    Field("etf_fixed_minor", _amount, False, 0),
    Field("etf_monthly_minor", _amount, False, 0),
    Field("processing_fee_minor", _amount, False, 0),
)
BILL = (
    Field("bill_id", TEXT_REF),
    MSISDN,
    Field("period_start", _day),
    Field("period_end", _day),
    Field("amount_minor", _amount),
    Field("currency", _currency),
    Field("due_on", _day),
    Field("paid_on", _past_day, False),
)
PAYMENT = (
    Field("reference", TEXT_REF),
    MSISDN,
    Field("bill_id", TEXT_REF, False),
    Field("amount_minor", _amount),
    Field("currency", _currency),
    Field("paid_on", _past_day),
)
BINDING = (
    MSISDN,
    Field("service", _text(100)),
    Field("category", _choice("payment", "bank", "social", "other")),
    Field("notify_email", _email, False),
    Field("notify_url", _url, False),
    Field("bound_on", _past_day),
    Field("unbound_on", _past_day, False),
)
LEGAL_HOLD = (
    MSISDN,
    Field("reason", _text(200)),
    Field("requested_by", _text(200), False, personal=True),
    Field("placed_on", _past_day),
    Field("lifted_on", _past_day, False),
)
LOST_REPORT = (
    MSISDN,
    Field("reported_on", _past_day),
    Field("found_on", _past_day, False),
)

SCHEMAS: dict[str, tuple[Field, ...]] = {
    "subscribers": SUBSCRIBER,
    "lines": LINE,
    "balances": BALANCE,
    "unbilled_usage": UNBILLED_USAGE,
    "last_usage": LAST_USAGE,
    "contracts": CONTRACT,
    "bills": BILL,
    "payments": PAYMENT,
    "bindings": BINDING,
    "legal_holds": LEGAL_HOLD,
    "lost_reports": LOST_REPORT,
}

# Subscribers first, then lines, then the facts that hang on a line.
ORDER = tuple(SCHEMAS)


def source_key(kind: str, record: Mapping[str, Any]) -> str:
    """The operator's natural key of a record: the one its own systems use."""
    if kind == "subscribers":
        return str(record["subscriber_ref"])
    if kind == "bills":
        return str(record["bill_id"])
    if kind == "payments":
        return str(record["reference"])
    if kind == "bindings":
        return f"{record['msisdn']}|{record['service']}"
    return str(record["msisdn"])


# What a chunk of rows already parsed: (field name, text) -> value or RowError. Fields of the
# same name share their parser in every schema, so a number given in the lines, balances and
# usage parts of a wide row, or a date repeated down a file, is parsed once per chunk.
Memo = dict[tuple[str, str], Any]


def parse_row(
    kind: str, raw: Mapping[str, Any], ctx: Context, memo: Memo | None = None
) -> dict[str, Any]:
    """Normalized values of one row, or RowError naming the first bad field."""
    record: dict[str, Any] = {}
    for field in SCHEMAS[kind]:
        record[field.name] = parse_value(field, raw.get(field.name), ctx, memo)
    _check_together(kind, record)
    return record


def parse_value(field: Field, value: Any, ctx: Context, memo: Memo | None = None) -> Any:
    if type(value) is str:
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = "" if value is None else str(value)
    if memo is not None:
        # Most values of a chunk were parsed already (the number in every part of a wide
        # row, dates and choices down the file); blank ones are never kept, see below.
        found = memo.get((field.name, text), _MISSING)
        if found is not _MISSING and type(found) is not RowError:
            return found
    if not text.strip():
        if field.required:
            raise RowError(field.name, f"{field.name} is required")
        return field.default
    if memo is None:
        return _parse_text(field, text, ctx)
    key = (field.name, text)
    found = memo.get(key, _MISSING)
    if found is _MISSING:
        try:
            found = _parse_text(field, text, ctx)
        except RowError as exc:
            found = exc
        memo[key] = found
    if isinstance(found, RowError):
        raise RowError(found.field, found.message)
    return found


_MISSING = object()


def _parse_text(field: Field, text: str, ctx: Context) -> Any:
    try:
        return field.parse(text, ctx)
    except RowError as exc:
        name = exc.field or field.name
        message = exc.message if exc.message.startswith(name) else f"{name} {exc.message}"
        raise RowError(name, message) from None


def _check_together(kind: str, record: dict[str, Any]) -> None:
    if kind == "bills" and record["period_end"] < record["period_start"]:
        raise RowError("period_end", "period_end must not be before period_start")
    if kind == "bindings" and record["unbound_on"] and record["unbound_on"] < record["bound_on"]:
        raise RowError("unbound_on", "unbound_on must not be before bound_on")
    if kind == "legal_holds" and record["lifted_on"] and record["lifted_on"] < record["placed_on"]:
        raise RowError("lifted_on", "lifted_on must not be before placed_on")
    if kind == "lost_reports" and record["found_on"] and record["found_on"] < record["reported_on"]:
        raise RowError("found_on", "found_on must not be before reported_on")
