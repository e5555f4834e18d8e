"""The rows a chunk of planned requests writes: requests and their history with one multi-row
INSERT each (their ids come back in order), the notices and first execution steps with one
executemany into the outbox, and an audit entry per history row (chained at commit, all in one
insert by `db.audit`). Personal data is encrypted (vault) and masked as the one-request path
stores it; notice keys are the ones `notify_line` and `start_execution` use, so a notice is sent
once whichever path made the request."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.db.bulk_writes import insert_returning_ids, insert_rows
from lineclose.domain.identifiers import mask_account, mask_contact, mask_msisdn
from lineclose.domain.outbox import OutboxStatus, Step
from lineclose.i18n import render_notice
from lineclose.services.closure.batch_plan import Context, Plan
from lineclose.services.context import Deps


def write_plans(session: Session, deps: Deps, ctx: Context, plans: list[Plan]) -> list[int]:
    """Write `plans` (references drawn); returns their request ids. Audit entries are appended
    last, once every insert went through, so a retried chunk leaves none behind."""
    vault = deps.vault
    now = ctx.now
    account_masked = mask_account(ctx.account) if ctx.account else None
    requests = []
    for plan in plans:
        row = dict(plan.request)
        row["refund_account_enc"] = vault.encrypt(ctx.account) if ctx.account else None
        row["refund_account_masked"] = account_masked
        row["alternate_contact_enc"] = vault.encrypt(plan.contact) if plan.contact else None
        row["alternate_contact_masked"] = mask_contact(plan.contact) if plan.contact else None
        requests.append(row)
    request_ids = insert_returning_ids(session, models.ClosureRequest, requests)
    events = [
        {
            "request_id": request_id,
            "from_state": event.from_state,
            "to_state": event.to_state,
            "command": event.command.value,
            "actor": event.actor.label,
            "channel": event.actor.channel.value,
            "reason": event.reason,
            "at": now,
        }
        for plan, request_id in zip(plans, request_ids, strict=True)
        for event in plan.events
    ]
    event_ids = insert_returning_ids(session, models.RequestEvent, events)
    steps: list[dict[str, Any]] = []
    first_event = 0
    for plan, request_id in zip(plans, request_ids, strict=True):
        reference = plan.request["reference"]
        for notice in plan.notices:
            event_id = event_ids[first_event + notice.event_index]
            text = render_notice(
                notice.notice,
                plan.locale,
                reference=reference,
                msisdn=mask_msisdn(plan.msisdn),
                operator=ctx.operator_name,
                **notice.values,
            )
            steps.append(
                _step(
                    request_id,
                    Step.SEND_SMS.value,
                    f"{request_id}:notice:{notice.notice}:{event_id}",
                    {
                        "to_enc": vault.encrypt(plan.msisdn),
                        "to_masked": mask_contact(plan.msisdn),
                        "text_enc": vault.encrypt(text),
                        "notice": notice.notice,
                    },
                    now,
                )
            )
        if plan.begin_execution:
            step = Step.BEGIN_EXECUTION.value
            steps.append(_step(request_id, step, f"{request_id}:{step}", {}, now))
        first_event += len(plan.events)
    insert_rows(session, models.OutboxRow, steps)
    for plan in plans:
        for event in plan.events:
            audit.append(
                session,
                now,
                event.actor.label,
                f"request.{event.command.value}",
                "closure_request",
                plan.request["reference"],
                {
                    "from": event.from_state,
                    "to": event.to_state,
                    "channel": event.actor.channel.value,
                    **event.reason,
                },
            )
    return request_ids


def _step(
    request_id: int, step: str, key: str, payload: dict[str, Any], now: Any
) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "step": step,
        "idempotency_key": key,
        "payload": payload,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "available_at": now,
        "locked_until": None,
        "locked_by": None,
        "last_error": None,
        "result": None,
        "created_at": now,
        "done_at": None,
    }
