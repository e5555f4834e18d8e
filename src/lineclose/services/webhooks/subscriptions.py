"""Receivers subscribing to closure events: the operator's systems and bound services.

Rules: only admins manage subscriptions. The URL must be http(s) with a host; the signing
secret is made here (`whsec_` + 32 random bytes, base64, per Standard Webhooks), shown once at
creation and kept sealed. Event types must be known ones; none means the default set.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.db.models_money import WebhookSubscription
from lineclose.errors import Forbidden, InvalidInput, NotFound
from lineclose.services.context import Actor, Deps, Role
from lineclose.services.webhooks.events import EVENT_TYPES, SERVICE_DEFAULT_TYPES


@dataclass(frozen=True)
class SubscriptionView:
    id: int
    operator: str
    service: str | None
    url: str
    event_types: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class NewSubscription:
    view: SubscriptionView
    secret: str  # shown once


def _ensure_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden("only admins manage webhook subscriptions", code="role_not_allowed")


def _view(sub: WebhookSubscription, operator: str) -> SubscriptionView:
    default = SERVICE_DEFAULT_TYPES if sub.service else EVENT_TYPES
    return SubscriptionView(
        sub.id, operator, sub.service, sub.url, tuple(sub.event_types or default), sub.active
    )


def create_subscription(
    session: Session,
    deps: Deps,
    actor: Actor,
    operator_code: str,
    url: str,
    *,
    service: str | None = None,
    event_types: list[str] | None = None,
) -> NewSubscription:
    _ensure_admin(actor)
    operator = session.execute(
        select(models.Operator).where(models.Operator.code == operator_code)
    ).scalar_one_or_none()
    if operator is None:
        raise NotFound(f"no operator {operator_code}", code="unknown_operator")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500:
        raise InvalidInput("url must be an http or https address", code="invalid_url", field="url")
    unknown = sorted(set(event_types or ()) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput(
            f"unknown event types {', '.join(unknown)}; use {', '.join(EVENT_TYPES)}",
            code="invalid_event_types",
            field="event_types",
        )
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    now = deps.clock.now()
    sub = WebhookSubscription(
        operator_id=operator.id,
        service=(service or "").strip() or None,
        url=url,
        secret_enc=deps.vault.encrypt(secret),
        event_types=list(event_types or []),
        active=True,
        created_at=now,
    )
    session.add(sub)
    session.flush()
    audit.append(
        session,
        now,
        actor.label,
        "webhook.subscribed",
        "webhook_subscription",
        str(sub.id),
        {"operator": operator.code, "service": sub.service, "url": url},
    )
    return NewSubscription(_view(sub, operator.code), secret)


def list_subscriptions(session: Session, actor: Actor) -> list[SubscriptionView]:
    _ensure_admin(actor)
    rows = session.execute(
        select(WebhookSubscription, models.Operator.code)
        .join(models.Operator, models.Operator.id == WebhookSubscription.operator_id)
        .order_by(WebhookSubscription.id)
    ).all()
    return [_view(sub, code) for sub, code in rows]


def remove_subscription(session: Session, deps: Deps, actor: Actor, sub_id: int) -> None:
    """Stop sending to a receiver; deliveries already queued are skipped, not sent."""
    _ensure_admin(actor)
    sub = session.get(WebhookSubscription, sub_id)
    if sub is None:
        raise NotFound("no such webhook subscription", code="unknown_subscription")
    sub.active = False
    audit.append(
        session,
        deps.clock.now(),
        actor.label,
        "webhook.unsubscribed",
        "webhook_subscription",
        str(sub.id),
        {},
    )


def automatic_notices(session: Session, line_id: int, operator_id: int) -> dict[str, str]:
    """For the precheck: each bound service that will be told of the closure automatically, and
    how (webhook, e-mail); services missing here must be unbound by the subscriber by hand."""
    hooked = set(
        session.execute(
            select(WebhookSubscription.service).where(
                WebhookSubscription.operator_id == operator_id,
                WebhookSubscription.active.is_(True),
                WebhookSubscription.service.is_not(None),
            )
        ).scalars()
    )
    told: dict[str, str] = {}
    for binding in session.execute(
        select(models.Binding).where(
            models.Binding.line_id == line_id, models.Binding.notify_on_closure.is_(True)
        )
    ).scalars():
        if binding.service in hooked:
            told[binding.service] = "webhook"
        elif binding.notify_email:
            told[binding.service] = "email"
    return told
