"""A port-out: the number leaves for another operator with its subscriber.

It is not a disconnection: the number never ages here, never returns to this operator's pool,
and answers reassigned-number checks as unchanged (the subscriber kept it). The SIM is barred,
as after a closure, because the network now routes the number elsewhere.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import audit, models, outbox
from lineclose.domain.aging import NumberState
from lineclose.domain.facts import LineStatus
from lineclose.domain.identifiers import mask_msisdn
from lineclose.domain.outbox import Step
from lineclose.domain.states import OPEN_STATES
from lineclose.errors import Conflict, NotFound
from lineclose.services.context import Actor, Deps
from lineclose.services.lines import ensure_can_see_line, find_line


def complete_port_out(
    session: Session, deps: Deps, actor: Actor, raw_msisdn: str, order_reference: str
) -> models.Number:
    """Record that an open port-out order completed: line closed, number ported out, never aged."""
    line = find_line(session, raw_msisdn)
    ensure_can_see_line(actor, line)
    order = session.execute(
        select(models.OpenOrder).where(
            models.OpenOrder.reference == order_reference.strip(),
            models.OpenOrder.line_id == line.id,
            models.OpenOrder.kind == "port_out",
        )
    ).scalar_one_or_none()
    if order is None:
        raise NotFound("no port-out order with this reference on this line", code="unknown_order")
    if order.status != "open":
        raise Conflict(f"the port-out order is {order.status}", code="order_not_open")
    closing = session.execute(
        select(models.ClosureRequest.reference).where(
            models.ClosureRequest.line_id == line.id,
            models.ClosureRequest.status.in_([s.value for s in OPEN_STATES]),
        )
    ).scalar_one_or_none()
    if closing:
        raise Conflict(
            f"closure request {closing} is open on this line: withdraw it first",
            code="open_request_exists",
        )
    now = deps.clock.now()
    order.status = "done"
    line.status = LineStatus.CLOSED
    line.closed_at = now
    number = session.get(models.Number, line.msisdn)
    if number is None:
        number = models.Number(
            msisdn=line.msisdn, operator_id=line.operator_id, state="", updated_at=now
        )
        session.add(number)
    number.state = NumberState.PORTED_OUT.value
    number.aging_until = None
    number.updated_at = now
    outbox.enqueue(
        session,
        now,
        Step.BAR_PORTED_LINE,
        f"port-out:{order.reference}:bar",
        {"imsi": line.imsi, "msisdn": line.msisdn},
    )
    audit.append(
        session,
        now,
        actor.label,
        "number.ported_out",
        "number",
        mask_msisdn(line.msisdn),
        {"order": order.reference},
    )
    return number
