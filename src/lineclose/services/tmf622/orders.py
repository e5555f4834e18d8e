"""Create and patch termination orders; each change derives its TMF events in the same transaction."""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.db.models_tmf622 import TmfProductOrder
from lineclose.domain.states import RequestState
from lineclose.services import closure
from lineclose.services.context import Actor, Deps
from lineclose.services.lines import parse_msisdn
from lineclose.services.tmf622 import hub
from lineclose.services.tmf622.characteristics import sanitized, termination
from lineclose.services.tmf622.errors import TmfError, bad_request
from lineclose.services.tmf622.reads import find_order
from lineclose.services.tmf622.views import SERVER_OWNED, order_view, tmf_state

# What a patch may change at any time before the point of no return ...
INFORMATIONAL = frozenset(
    {
        "externalId",
        "description",
        "category",
        "priority",
        "note",
        "relatedParty",
        "channel",
        "agreement",
        "billingAccount",
        "payment",
        "quote",
        "productOfferingQualification",
        "orderTotalPrice",
        "requestedStartDate",
        "@baseType",
        "@schemaLocation",
        "@type",
    }
)
# ... and what changes the closure itself, only while the order waits for the requester.
CLOSURE_INPUT = frozenset({"productOrderItem", "notificationContact", "requestedCompletionDate"})
WAITING = frozenset({RequestState.NEEDS_ACTION.value, RequestState.REJECTED.value})
PAST_NO_RETURN = frozenset(
    {RequestState.EXECUTING.value, RequestState.CLOSED.value, RequestState.WITHDRAWN.value}
)


def _last_event_id(session: Session, request_id: int) -> int:
    found = session.execute(
        select(func.max(models.RequestEvent.id)).where(models.RequestEvent.request_id == request_id)
    ).scalar_one()
    return int(found or 0)


def create(
    session: Session, deps: Deps, actor: Actor, body: dict[str, Any], key: str | None
) -> tuple[dict[str, Any], bool]:
    """Submit the closure the order asks for and keep the order to echo; replaying the same
    Idempotency-Key (or externalId) answers the order already made."""
    owned = sorted(SERVER_OWNED & body.keys())
    if owned:
        raise bad_request("readOnlyAttribute", f"set by the server, not by the order: {owned}")
    wanted = termination(body)
    external = body.get("externalId")
    if external is not None and (not isinstance(external, str) or len(external) > 120):
        raise bad_request("invalidAttribute", "externalId is a string of 120 characters at most")
    submitted = closure.submit(session, deps, actor, wanted.msisdn, wanted.given, key or external)
    request = submitted.request
    order = session.execute(
        select(TmfProductOrder).where(TmfProductOrder.request_id == request.id)
    ).scalar_one_or_none()
    if order is not None:
        return order_view(deps, order, request), False
    now = deps.clock.now()
    order = TmfProductOrder(
        request_id=request.id,
        operator_id=request.operator_id,
        subscriber_id=request.line.subscriber_id,
        external_id=external,
        posted_enc=deps.vault.encrypt(json.dumps(sanitized(body))),
        notified_state=tmf_state(request.status),
        last_event_id=_last_event_id(session, request.id),
        created_by=actor.label,
        created_at=request.submitted_at,
        updated_at=now,
    )
    session.add(order)
    session.flush()
    view = order_view(deps, order, request)
    key_base = f"po:{request.reference}:created"
    hub.emit(
        session,
        deps,
        order.operator_id,
        "ProductOrderCreateEvent",
        key_base,
        ("productOrder", view),
    )
    if view["state"] == "pending":
        hub.emit(
            session,
            deps,
            order.operator_id,
            "ProductOrderInformationRequiredEvent",
            key_base,
            ("productOrder", view),
        )
    return view, submitted.created


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge member by member, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = merge_patch(merged.get(name), value)
    return merged


def patch(
    session: Session, deps: Deps, actor: Actor, reference: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """Change what may still change: descriptive attributes until the point of no return, the
    closure's own inputs (item characteristics, contact, date) only while the order is
    `pending` or `held`, which resubmits it."""
    order, request = find_order(session, deps, actor, reference)
    refused = sorted(set(changes) - INFORMATIONAL - CLOSURE_INPUT)
    if refused:
        raise bad_request("notPatchable", f"these attributes cannot be patched: {refused}")
    if request.status in PAST_NO_RETURN:
        raise TmfError(
            409,
            "pastPointOfNoReturn",
            f"the order is {tmf_state(request.status)}: it can no longer change",
        )
    closure_changes = CLOSURE_INPUT & changes.keys()
    if closure_changes and request.status not in WAITING:
        raise TmfError(
            409,
            "notWaiting",
            f"{sorted(closure_changes)} can change only while the order is pending or held",
        )
    stored = json.loads(deps.vault.decrypt(order.posted_enc))
    merged = merge_patch(stored, changes)
    if closure_changes:
        new_items = "productOrderItem" in changes
        wanted = termination(merged, refund_account=new_items)
        if parse_msisdn(wanted.msisdn) != request.line.msisdn:
            raise bad_request("notPatchable", "the line to close (msisdn) cannot change")
        closure.resubmit(session, deps, actor, request.reference, wanted.given)
    if "externalId" in changes:
        external = changes["externalId"]
        if external is not None and (not isinstance(external, str) or len(external) > 120):
            raise bad_request(
                "invalidAttribute", "externalId is a string of 120 characters at most"
            )
        order.external_id = external
    order.posted_enc = deps.vault.encrypt(json.dumps(sanitized(merged)))
    order.updated_at = deps.clock.now()
    session.flush()
    view = order_view(deps, order, request)
    hub.emit(
        session,
        deps,
        order.operator_id,
        "ProductOrderAttributeValueChangeEvent",
        f"po:{request.reference}:patch:{secrets.token_hex(6)}",  # each patch is its own event
        ("productOrder", view),
    )
    hub.derive_state_changes(session, deps, order)
    return order_view(deps, order, request)
