"""The subscriber's own language: chosen once, stored, and followed by every message to them.

Until the subscriber chooses, the operator's default (its profile's locale) applies. Notices,
SMS, the certificate and the portal all ask `line_locale` rather than the operator.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.errors import InvalidInput, Unauthenticated
from lineclose.i18n import SUPPORTED_LOCALES, normalize_locale, translator
from lineclose.services.context import Actor, Deps
from lineclose.services.lines import profile_of
from lineclose.wording import (
    BLOCKER_ACTIONS,
    BLOCKER_MEANINGS,
    BLOCKER_TITLES,
    REASON_TEXT,
    REMEDY_TEXT,
    WARNING_TEXT,
)

ENGLISH = "en"


def line_locale(line: models.Line) -> str:
    """The language to write to this line's holder in."""
    chosen = line.subscriber.language if line.subscriber is not None else None
    return chosen if chosen in SUPPORTED_LOCALES else profile_of(line.operator).locale


def stored_language(session: Session, actor: Actor) -> str | None:
    """The language the signed-in subscriber chose, if they chose one."""
    if actor.subscriber_id is None:
        return None
    subscriber = session.get(models.Subscriber, actor.subscriber_id)
    return subscriber.language if subscriber is not None else None


def choose_language(session: Session, deps: Deps, actor: Actor, tag: str) -> str:
    """Store the signed-in subscriber's language; later messages to them follow it."""
    if actor.subscriber_id is None:
        raise Unauthenticated("sign in with a code to keep your language")
    locale = normalize_locale(tag)
    if locale is None:
        raise InvalidInput(
            f"language must be one of {', '.join(SUPPORTED_LOCALES)}",
            code="unsupported_language",
            field="language",
        )
    subscriber = session.get(models.Subscriber, actor.subscriber_id)
    assert subscriber is not None
    if subscriber.language != locale:
        subscriber.language = locale
        audit.append(
            session,
            deps.clock.now(),
            actor.label,
            "subscriber.language",
            "subscriber",
            str(subscriber.id),
            {"language": locale},
        )
    return locale


def needs_action_words(codes: list[str] | tuple[str, ...], locale: str) -> str:
    """What the subscriber must do, in words and in their language, one blocker after another."""
    words = translator(locale)
    return "; ".join(words.gettext(BLOCKER_ACTIONS.get(code, code)) for code in codes)


def rejection_words(reasons: list[dict[str, str]], locale: str) -> str:
    """Each reason of a rejection and its remedy, in words and in the subscriber's language."""
    words = translator(locale)
    said = []
    for reason in reasons:
        why = words.gettext(REASON_TEXT.get(reason["code"], reason["code"]))
        remedy = REMEDY_TEXT.get(reason.get("remedy", ""))
        said.append(f"{why} {words.gettext(remedy)}" if remedy else why)
    return " ".join(said)


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

# Blockers whose message counts things, with the plural forms of each language (Babel).
COUNTED: dict[str, tuple[str, str, str]] = {
    "ARREARS": (
        "PAY_ARREARS",
        "{count} unpaid bill: pay it before closing.",
        "{count} unpaid bills: pay them before closing.",
    ),
    "BINDINGS_PRESENT": (
        "UNBIND",
        "{count} service still uses this number: unbind it first.",
        "{count} services still use this number: unbind them first.",
    ),
}


def counted_message(code: str, blocker: dict[str, Any], locale: str) -> str | None:
    if code not in COUNTED:
        return None
    remedy_code, singular, plural = COUNTED[code]
    items: list[Any] = next(
        (r.get("items", []) for r in blocker["remedies"] if r["code"] == remedy_code), []
    )
    if not items:
        return None
    count = len(items)
    return translator(locale).ngettext(singular, plural, count).format(count=count)


def localized_eligibility(view: dict[str, Any], locale: str) -> dict[str, Any]:
    """Blockers gain a title, and messages and quote labels are put in `locale`."""
    words = translator(locale)
    english = locale == ENGLISH
    blockers = []
    for blocker in view["blockers"]:
        code = blocker["code"]
        shown = {**blocker, "title": words.gettext(BLOCKER_TITLES.get(code, code))}
        counted = counted_message(code, blocker, locale)
        if counted is not None:
            shown["message"] = counted
        elif not english and code in BLOCKER_MEANINGS:
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
