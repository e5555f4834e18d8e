"""The subscriber's own language: chosen once, stored, and followed by every message to them.

Until the subscriber chooses, the operator's default (its profile's locale) applies. Notices,
SMS, the certificate and the portal all ask `line_locale` rather than the operator.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.errors import InvalidInput, Unauthenticated
from lineclose.i18n import SUPPORTED_LOCALES, normalize_locale, translator
from lineclose.services.context import Actor, Deps
from lineclose.services.lines import profile_of
from lineclose.wording import BLOCKER_ACTIONS, REASON_TEXT, REMEDY_TEXT


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
