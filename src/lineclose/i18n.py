"""Languages: locale negotiation, message catalogues, and locale-aware money and dates.

Lineclose speaks Simplified Chinese (``zh_CN``) and English (``en``). Every user-facing text
is an English msgid looked up in a gettext catalogue under ``lineclose/locale``; a msgid that
has no translation is shown as is, so a missing translation degrades to English rather than
to an error or a blank.

Money is always carried as an integer number of minor units (fen, pence, yen) and only turned
into a decimal for display, through :class:`decimal.Decimal`, so no float ever touches an
amount.
"""

from __future__ import annotations

import functools
import gettext
import io
import re
import threading
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime
from babel.dates import get_timezone_gmt
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, get_currency_precision, is_currency

__all__ = [
    "LOCALE_DIR",
    "NOTICES",
    "SUPPORTED_LOCALES",
    "Translator",
    "format_date",
    "format_datetime",
    "format_datetime_with_zone",
    "format_money",
    "negotiate_locale",
    "normalize_locale",
    "render_notice",
    "translator",
]

SUPPORTED_LOCALES: Final = ("zh_CN", "en")

LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
DOMAIN: Final = "messages"


# --------------------------------------------------------------------------- negotiation


def normalize_locale(tag: str | None) -> str | None:
    """Map a language tag to a supported locale, or ``None`` if none fits.

    Tags are compared case-insensitively and ``-`` and ``_`` are equivalent. Any Chinese tag
    (``zh``, ``zh-CN``, ``zh-Hans-CN``, ``zh-TW`` ...) maps to ``zh_CN``: Simplified Chinese is
    the only Chinese we ship, and it serves a Chinese reader better than English would. Any
    English tag (``en``, ``en-GB`` ...) maps to ``en``.
    """
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    if primary == "zh":
        return "zh_CN"
    if primary == "en":
        return "en"
    return None


# One Accept-Language element: a language range and an optional quality value.
_ACCEPT_ITEM = re.compile(
    r"^\s*(?P<tag>\*|[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*)\s*"
    r"(?:;\s*q\s*=\s*(?P<q>[01](?:\.\d{0,3})?))?\s*$"
)


def _parse_accept_language(header: str) -> list[str]:
    """Return the language tags of an Accept-Language header, most wanted first.

    Tags with ``q=0`` are refused by the client and dropped; malformed elements are ignored
    rather than rejected, because a browser's odd header must never break a page. Ties keep
    the header's order (the sort is stable).
    """
    weighted: list[tuple[Decimal, str]] = []
    for item in header.split(","):
        match = _ACCEPT_ITEM.match(item)
        if match is None:
            continue
        quality = Decimal(match.group("q")) if match.group("q") else Decimal(1)
        if quality > 0:
            weighted.append((quality, match.group("tag")))
    weighted.sort(key=lambda pair: pair[0], reverse=True)
    return [tag for _, tag in weighted]


def negotiate_locale(accept_language: str | None, preferred: str | None, default: str) -> str:
    """Choose the locale to answer in.

    The rule, in order: the person's own stored preference if it is supported; otherwise the
    first supported language of the Accept-Language header by quality; otherwise ``default``.
    ``default`` itself must be a supported locale (a misconfiguration is an error, not a
    silent fallback).
    """
    if default not in SUPPORTED_LOCALES:
        raise ValueError(f"default locale {default!r} is not one of {SUPPORTED_LOCALES}")
    chosen = normalize_locale(preferred)
    if chosen is not None:
        return chosen
    if accept_language:
        for tag in _parse_accept_language(accept_language):
            if tag == "*":
                return default
            chosen = normalize_locale(tag)
            if chosen is not None:
                return chosen
    return default


def _require_locale(locale: str) -> str:
    """Return the supported locale for ``locale`` or raise ``ValueError``."""
    chosen = normalize_locale(locale)
    if chosen is None:
        raise ValueError(f"unsupported locale {locale!r}; expected one of {SUPPORTED_LOCALES}")
    return chosen


# --------------------------------------------------------------------------- translation


class Translator:
    """Translations for one locale, read from its ``messages.po``.

    Use :func:`translator` (cached per locale) rather than constructing one per request.

    The ``.po`` file is parsed at run time with Babel's ``read_po`` and compiled in memory
    into a standard :class:`gettext.GNUTranslations`. That way the source catalogue is the
    only artefact: no compiled ``.mo`` file has to be committed or built in a packaging step
    (where it could go stale against its ``.po``), while lookups and plural rules still come
    from the standard library. Fuzzy entries are left out, as ``msgfmt`` would.
    """

    def __init__(self, locale: str, locale_dir: Path = LOCALE_DIR) -> None:
        self.locale: Final = _require_locale(locale)
        po_path = locale_dir / self.locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=self.locale, domain=DOMAIN)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        buffer.seek(0)
        self._translations = gettext.GNUTranslations(buffer)

    def gettext(self, msgid: str) -> str:
        """Return the translation of ``msgid``, or ``msgid`` itself when it has none."""
        return self._translations.gettext(msgid)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Return the plural form for ``n``, following the catalogue's plural rule.

        Without a translation the English rule applies: ``singular`` for 1, else ``plural``.
        """
        return self._translations.ngettext(singular, plural, n)


_translators: dict[str, Translator] = {}
_translators_lock = threading.Lock()


def translator(locale: str) -> Translator:
    """Return the process-wide :class:`Translator` for ``locale`` (built once, then cached)."""
    chosen = _require_locale(locale)
    found = _translators.get(chosen)
    if found is not None:
        return found
    with _translators_lock:
        found = _translators.get(chosen)
        if found is None:
            found = _translators[chosen] = Translator(chosen)
        return found


# --------------------------------------------------------------------------- notices

NOTICES: Final[dict[str, str]] = {
    "otp_sms": "Your {operator} code is {code}. It expires in {minutes} minutes. Never share it.",
    "request_received": (
        "We have received your request to close the line {msisdn}. Reference: {reference}. "
        "We will contact you if we need anything else."
    ),
    "needs_action": (
        "Your closure request {reference} needs your action: {action}. "
        "Fix it and resubmit on the same reference."
    ),
    "rejected": "Your closure request {reference} was not approved. Reason: {reason}",
    "approved": (
        "Your closure request {reference} has been approved. "
        "The line {msisdn} will be closed on {date}."
    ),
    "closed_alternate_contact": (
        "The line {msisdn} has been closed. Reference: {reference}. "
        "Certificate verification code: {verification_code}."
    ),
    "email_subject": "{operator}: line closure {reference}",
    "fleet_closed_summary": (
        "{count} lines of {operator} have been closed on {date}. Line, reference and "
        "certificate verification code of each: {lines}"
    ),
    "fleet_closed_subject": "{operator}: {count} lines closed",
    "review_escalated": (
        "Closure request {reference} ({operator}, line {msisdn}) was due for review by {date} "
        "and is escalated. Assign a reviewer: {url}"
    ),
    "third_party_closed": (
        "Notice from {operator}: the mobile number {msisdn} was closed on {date} and may be "
        "reassigned to someone else after the holding period. Please unbind it from the "
        "accounts on {service}."
    ),
    "refund_paid": (
        "Your refund of {amount} for the closed line {msisdn} (reference {reference}) has been "
        "paid to the account {account}. Please check that it arrived."
    ),
    "refund_returned": (
        "Your bank returned the refund of {amount} for the closed line {msisdn} "
        "(reference {reference}): {reason}. Give us another account here: {link}"
    ),
    "debt_due": (
        "The closed line {msisdn} (reference {reference}) left {amount} to pay. Pay it by bank "
        "transfer or at any {operator} store quoting the payment reference {pay_reference}."
    ),
    "refund_under_minimum": (
        "The balance of {amount} left on the closed line {msisdn} (reference {reference}) is "
        "under the bank's minimum transfer, so it is {disposition}."
    ),
}
"""Notice templates by name. Values are msgids; placeholders use :meth:`str.format` syntax."""


def render_notice(name: str, locale: str, **values: object) -> str:
    """Render the notice ``name`` in ``locale`` with ``values`` filled into its placeholders.

    Raises ``KeyError`` for an unknown notice and ``ValueError`` naming the missing
    placeholder when a value is not supplied, so a notice is never sent half-filled.
    """
    try:
        msgid = NOTICES[name]
    except KeyError:
        raise KeyError(f"unknown notice {name!r}; known: {sorted(NOTICES)}") from None
    text = translator(locale).gettext(msgid)
    try:
        return text.format(**values)
    except KeyError as missing:
        raise ValueError(f"notice {name!r} needs a value for {missing.args[0]!r}") from None


# --------------------------------------------------------------------------- money and dates


def format_money(minor: int, currency: str, locale: str) -> str:
    """Format an amount held in integer minor units, e.g. ``12345`` CNY -> ``¥123.45``.

    The number of minor digits is the currency's own (ISO 4217 via Babel: 2 for CNY and GBP,
    0 for JPY), so ``12345`` JPY is ``¥12,345``. The shift is exact decimal arithmetic.
    """
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"minor units must be an int, not {type(minor).__name__}")
    code = currency.upper()
    amount = Decimal(minor).scaleb(-_currency_digits(code))
    return format_currency(amount, code, locale=_babel_locale(_require_locale(locale)))


# Babel parses a locale given by name on every call (a scan of its locale list): a batch of
# closing summaries formats thousands of amounts, so both lookups are made once.
@functools.lru_cache(maxsize=64)
def _currency_digits(code: str) -> int:
    if not is_currency(code):
        raise ValueError(f"unknown currency code {code!r}")
    return get_currency_precision(code)


@functools.lru_cache(maxsize=16)
def _babel_locale(name: str) -> Locale:
    return Locale.parse(name)


def format_date(value: date, locale: str, format: str = "long") -> str:
    """Format a calendar date in ``locale`` (Babel pattern name or CLDR pattern)."""
    return _babel_format_date(value, format=format, locale=_require_locale(locale))


def format_datetime(value: datetime, tz_name: str, locale: str, format: str = "medium") -> str:
    """Format an aware datetime as wall-clock time in the IANA zone ``tz_name``.

    A naive datetime is refused: its instant is unknown, and guessing would print a wrong
    closing time on a legal document.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz_name!r}") from None
    return _babel_format_datetime(value, format=format, tzinfo=zone, locale=_require_locale(locale))


def format_datetime_with_zone(value: datetime, tz_name: str, locale: str) -> str:
    """Short wall-clock time in ``tz_name`` followed by its UTC offset, e.g. ``GMT+08:00``."""
    local = value.astimezone(ZoneInfo(tz_name)) if value.tzinfo else value
    shown = format_datetime(value, tz_name, locale, format="short")
    offset = get_timezone_gmt(local, width="long", locale=_require_locale(locale))
    return f"{shown} ({offset})"
