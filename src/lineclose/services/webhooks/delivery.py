"""The `webhook` outbox step: one signed POST of one event to one receiver.

Signed per Standard Webhooks (`webhook-id` = the event id, `webhook-timestamp`,
`webhook-signature: v1,<base64 HMAC-SHA256>`), with the subscription's `whsec_` secret.
A 2xx answer delivers it. Timeouts, refused connections, 408, 429 and 5xx are retried with the
worker's exponential backoff until `worker_max_attempts`, then the step is a dead letter
(`lineclose outbox list`, the console's outbox page) that staff can retry. Other 4xx answers
are refused outright. A worker that dies mid-delivery leaves the step leased; once the lease
runs out another worker sends it again, with the same event id: at least once, never lost.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from lineclose.db.models_money import WebhookSubscription
from lineclose.db.outbox import Claimed
from lineclose.ports.errors import Misconfigured, Rejected, Retryable
from lineclose.services.context import Deps
from lineclose.services.execution import StepHandler, record_nothing
from lineclose.services.webhooks.events import WEBHOOK

_RETRY_STATUSES = frozenset({408, 425, 429})


def prepare(session: Session, claimed: Claimed) -> dict[str, Any]:
    subscription = session.get(WebhookSubscription, claimed.payload["subscription_id"])
    if subscription is None or not subscription.active:
        return {"skip": True}
    return {"url": subscription.url, "secret_enc": subscription.secret_enc}


def deliver(deps: Deps, claimed: Claimed, prepared: dict[str, Any]) -> dict[str, Any]:
    if prepared.get("skip"):
        return {"skipped": "subscription removed or paused"}
    payload = claimed.payload
    body: str = payload["body"]
    # The receiver checks the timestamp against its own wall clock (replay protection), so it
    # is the real time of sending, not the injected clock of the closure.
    now = datetime.now(UTC)
    signer = Webhook(deps.vault.decrypt(prepared["secret_enc"]))
    headers = {
        "content-type": payload["content_type"],
        "webhook-id": payload["event_id"],
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signer.sign(payload["event_id"], now, body),
    }
    url = prepared["url"]
    try:
        response = httpx.post(
            url,
            content=body.encode("utf-8"),
            headers=headers,
            timeout=deps.settings.webhook_timeout_seconds,
        )
    except httpx.InvalidURL as exc:
        raise Misconfigured("webhook", "the receiver's URL is not valid") from exc
    except httpx.HTTPError as exc:
        raise Retryable("webhook", f"receiver unreachable: {type(exc).__name__}") from exc
    status = response.status_code
    if 200 <= status < 300:
        return {"status": status, "event_id": payload["event_id"]}
    if status >= 500 or status in _RETRY_STATUSES:
        raise Retryable("webhook", f"receiver answered {status}")
    raise Rejected("webhook", f"receiver refused the event with {status}")


WEBHOOK_STEPS = {WEBHOOK: StepHandler(record=record_nothing, prepare=prepare, call=deliver)}
