"""API answers in the caller's language (Accept-Language, else the subscriber's stored choice,
else English): problem details, blocker and warning messages, quote labels. Codes never change,
so integrations keep matching on them while people read words."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from lineclose.i18n import negotiate_locale, translator
from lineclose.web.pages.common import ERROR_TEXT
from lineclose.wording import BLOCKER_MEANINGS, BLOCKER_TITLES, WARNING_TEXT

API_DEFAULT = "en"

QUOTE_LABELS: dict[str, str] = {
    "prorated_fee_minor": "Prorated monthly fee",
    "unbilled_usage_minor": "Usage not yet billed",
    "early_termination_fee_minor": "Early termination fee",
    "total_charges_minor": "Total charges",
    "paid_credit_minor": "Paid credit",
    "refund_fee_minor": "Refund fee",
    "refund_minor": "Refund",
    "amount_due_minor": "Amount still owed",
}


def api_locale(request: Request, stored: str | None = None) -> str:
    """The header wins over the stored choice here: a program asks for what it can show."""
    header = request.headers.get("accept-language")
    if header:
        return negotiate_locale(header, None, stored or API_DEFAULT)
    return negotiate_locale(None, stored, API_DEFAULT)


def problem_detail(code: str, message: str, locale: str) -> str:
    """The refusal's message in `locale`; English keeps the precise message (it may name a
    field or a value), other languages get the catalogue's sentence for the code."""
    if locale == API_DEFAULT:
        return message
    words = translator(locale)
    msgid = ERROR_TEXT.get(code)
    return words.gettext(msgid) if msgid else words.gettext(message)


def localized_eligibility(view: dict[str, Any], locale: str) -> dict[str, Any]:
    """Blockers gain a title, and messages and quote labels are put in `locale`."""
    words = translator(locale)
    english = locale == API_DEFAULT
    blockers = []
    for blocker in view["blockers"]:
        code = blocker["code"]
        shown = {**blocker, "title": words.gettext(BLOCKER_TITLES.get(code, code))}
        if not english and code in BLOCKER_MEANINGS:
            shown["message"] = words.gettext(BLOCKER_MEANINGS[code])
        blockers.append(shown)
    warnings = [
        {**w, "message": words.gettext(WARNING_TEXT[w["code"]])}
        if not english and w["code"] in WARNING_TEXT
        else w
        for w in view["warnings"]
    ]
    quote = {
        **view["quote"],
        "labels": {k: words.gettext(v) for k, v in QUOTE_LABELS.items() if k in view["quote"]},
    }
    return {**view, "blockers": blockers, "warnings": warnings, "quote": quote}
