"""API answers in the caller's language (Accept-Language, else the subscriber's stored choice,
else English): problem details, blocker and warning messages, quote labels. Codes never change,
so integrations keep matching on them while people read words."""

from __future__ import annotations

from fastapi import Request

from lineclose.i18n import negotiate_locale, translator
from lineclose.services.language import localized_eligibility
from lineclose.web.pages.common import ERROR_TEXT

__all__ = ["api_locale", "localized_eligibility", "problem_detail"]

API_DEFAULT = "en"


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
