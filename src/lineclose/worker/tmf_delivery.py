"""The outbox step that posts a TMF622 event to a hub listener's callback.

A listener answering 2xx has the event; 408, 429 and 5xx or no answer are retried with the
outbox's backoff; any other 4xx is a refusal (dead letter, staff may retry). Events carry an
`eventId` so a listener that hears one twice (a retry after a lost answer) can drop the copy.
"""

from __future__ import annotations

from typing import Any

import httpx

from lineclose.db.outbox import Claimed
from lineclose.ports.errors import Rejected, Retryable
from lineclose.services.context import Deps
from lineclose.services.execution import StepHandler, no_preparation, record_nothing
from lineclose.services.tmf622.hub import TMF_EVENT

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
SYSTEM = "tmf-listener"


def post_event(deps: Deps, claimed: Claimed, prepared: dict[str, Any]) -> dict[str, Any]:
    url, body = claimed.payload["url"], claimed.payload["body"]
    try:
        answer = httpx.post(
            url, json=body, timeout=TIMEOUT, headers={"Idempotency-Key": claimed.key}
        )
    except httpx.HTTPError as exc:
        raise Retryable(SYSTEM, f"no answer: {type(exc).__name__}") from None
    if answer.status_code in (408, 429) or answer.status_code >= 500:
        raise Retryable(SYSTEM, f"listener answered {answer.status_code}")
    if answer.status_code >= 400:
        raise Rejected(SYSTEM, f"listener refused with {answer.status_code}")
    return {"status": answer.status_code}


TMF_STEPS: dict[str, StepHandler] = {
    TMF_EVENT: StepHandler(record=record_nothing, prepare=no_preparation, call=post_event),
}
