"""Notices leave through the outbox: the destination and text are stored encrypted until sent."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lineclose.db import outbox
from lineclose.domain.identifiers import mask_contact
from lineclose.domain.outbox import Step
from lineclose.i18n import render_notice
from lineclose.services.context import Deps

SEND_SMS = Step.SEND_SMS
SEND_EMAIL = Step.SEND_EMAIL


def _enqueue(
    session: Session,
    deps: Deps,
    step: str,
    key: str,
    to: str,
    notice: str,
    text: str,
    request_id: int | None,
    new_key: bool = False,
    **sealed: str,
) -> None:
    payload = _payload(deps, to, notice, text, **sealed)
    outbox.enqueue(
        session, deps.clock.now(), step, key, payload, request_id=request_id, new_key=new_key
    )


def _payload(deps: Deps, to: str, notice: str, text: str, **sealed: str) -> dict[str, Any]:
    """A notice's outbox payload: recipient and texts sealed, the recipient also masked."""
    return {
        "to_enc": deps.vault.encrypt(to),
        "to_masked": mask_contact(to),
        "text_enc": deps.vault.encrypt(text),
        "notice": notice,
        **{f"{name}_enc": deps.vault.encrypt(value) for name, value in sealed.items()},
    }


def notice_row(
    deps: Deps,
    *,
    key: str,
    to: str,
    notice: str,
    locale: str,
    values: dict[str, Any],
    request_id: int | None = None,
    email: bool | None = None,
    subject: str = "email_subject",
) -> dict[str, Any]:
    """The outbox row of a notice, for `outbox.enqueue_many`: an e-mail when `email` is True
    (or, left None, when `to` is an e-mail address), else an SMS."""
    text = render_notice(notice, locale, **values)
    if email or (email is None and "@" in to):
        subject_text = render_notice(subject, locale, **values)
        payload = _payload(deps, to, notice, text, subject=subject_text)
        return {"step": SEND_EMAIL, "key": key, "payload": payload, "request_id": request_id}
    payload = _payload(deps, to, notice, text)
    return {"step": SEND_SMS, "key": key, "payload": payload, "request_id": request_id}


def enqueue_sms(
    session: Session,
    deps: Deps,
    *,
    key: str,
    to: str,
    notice: str,
    locale: str,
    values: dict[str, Any],
    request_id: int | None = None,
    new_key: bool = False,
) -> None:
    """`new_key`: the key names something made in this transaction, so no step has it yet."""
    text = render_notice(notice, locale, **values)
    _enqueue(session, deps, SEND_SMS, key, to, notice, text, request_id, new_key)


def enqueue_email(
    session: Session,
    deps: Deps,
    *,
    key: str,
    to: str,
    notice: str,
    locale: str,
    values: dict[str, Any],
    request_id: int | None = None,
) -> None:
    text = render_notice(notice, locale, **values)
    subject = render_notice("email_subject", locale, **values)
    _enqueue(session, deps, SEND_EMAIL, key, to, notice, text, request_id, subject=subject)


def enqueue_to_contact(
    session: Session,
    deps: Deps,
    *,
    key: str,
    contact: str,
    notice: str,
    locale: str,
    values: dict[str, Any],
    request_id: int | None = None,
) -> None:
    """An alternate contact is an e-mail address or a phone number; pick the gateway that reaches it."""
    send = enqueue_email if "@" in contact else enqueue_sms
    send(
        session,
        deps,
        key=key,
        to=contact,
        notice=notice,
        locale=locale,
        values=values,
        request_id=request_id,
    )


def enqueue_sms_text(
    session: Session,
    deps: Deps,
    *,
    key: str,
    to: str,
    notice: str,
    text: str,
    request_id: int | None = None,
) -> None:
    """An SMS whose text the caller composed (already in the recipient's language)."""
    _enqueue(session, deps, SEND_SMS, key, to, notice, text, request_id)


def enqueue_email_text(
    session: Session,
    deps: Deps,
    *,
    key: str,
    to: str,
    notice: str,
    subject: str,
    text: str,
    request_id: int | None = None,
) -> None:
    """An e-mail whose subject and body the caller composed."""
    _enqueue(session, deps, SEND_EMAIL, key, to, notice, text, request_id, subject=subject)
