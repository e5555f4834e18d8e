"""The sync API's use cases: one record at a time through the same validators and the same
idempotent upsert as the bulk import, so the operator's CRM and its files cannot disagree.

A repeated call with the same values changes nothing; a bad value is refused naming the
field; provisioning refuses a number still aging, in service or ported out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.db.models_data_in import LegalHold
from lineclose.errors import Conflict, Forbidden, InvalidInput, LinecloseError, NotFound
from lineclose.services.context import Actor, Deps
from lineclose.services.data_in.apply_context import Reject
from lineclose.services.data_in.bulk_import import operator_by_code
from lineclose.services.data_in.fields import Context, RowError
from lineclose.services.data_in.files import WIDE, parse
from lineclose.services.data_in.upsert import BatchResult, apply_batch
from lineclose.services.lines import find_line, local_today, profile_of

_NOT_FOUND = {"unknown_line", "unknown_subscriber", "unknown_bill"}


@dataclass(frozen=True)
class Synced:
    kind: str
    outcome: str  # inserted | updated | unchanged
    changed: list[str]
    reevaluated: list[str]
    new_lines: list[tuple[str, str]]


def operator_for(session: Session, actor: Actor, code: str | None) -> models.Operator:
    """An integration token acts for the operator it is bound to; an unbound admin names one."""
    if actor.operator_id is not None:
        operator = session.get(models.Operator, actor.operator_id)
        assert operator is not None
        if code and code != operator.code:
            raise Forbidden("this token acts for another operator", code="other_operator")
        return operator
    if not code:
        raise InvalidInput(
            "name the operator: this token is not bound to one",
            code="operator_required",
            field="operator",
        )
    return operator_by_code(session, code)


def sync(
    session: Session,
    deps: Deps,
    actor: Actor,
    operator: models.Operator,
    kind: str,
    raw: dict[str, Any],
) -> Synced:
    profile = profile_of(operator)
    ctx = Context(profile, local_today(profile, deps.clock.now()))
    try:
        items = parse(kind, 1, raw, ctx)
    except RowError as exc:
        raise InvalidInput(exc.message, code="invalid_value", field=exc.field) from None
    total = BatchResult()
    for item in items:
        total.add(apply_batch(session, deps, operator, item.kind, [item], actor.label, "api"))
        if total.rejects:
            raise _refusal(total.rejects[0])
    outcome = "inserted" if total.inserted else "updated" if total.updated else "unchanged"
    shown = "lines" if kind == WIDE else kind
    return Synced(shown, outcome, total.changed_fields, total.reevaluated, total.new_lines)


def _refusal(reject: Reject) -> LinecloseError:
    if reject.code in _NOT_FOUND:
        return NotFound(reject.message, code=reject.code, field=reject.field)
    if reject.code == "invalid_value":
        return InvalidInput(reject.message, code=reject.code, field=reject.field)
    return Conflict(reject.message, code=reject.code, field=reject.field)


def put_line(
    session: Session,
    deps: Deps,
    actor: Actor,
    operator: models.Operator,
    msisdn: str,
    body: dict[str, Any],
) -> Synced:
    """Create or update a subscriber and a line (with balance, usage and contract when given)."""
    return sync(session, deps, actor, operator, WIDE, {**body, "msisdn": msisdn})


def _line_of(session: Session, actor: Actor, operator: models.Operator, msisdn: str) -> models.Line:
    line = find_line(session, msisdn)
    if line.operator_id != operator.id or line.status == "closed":
        raise NotFound("no line of this operator in service with this number", code="unknown_line")
    return line


def unbind(
    session: Session,
    deps: Deps,
    actor: Actor,
    operator: models.Operator,
    msisdn: str,
    service: str,
    on: date | None,
) -> Synced:
    """The subscriber removed the number from a bound service: kept, with the day it ended."""
    line = _line_of(session, actor, operator, msisdn)
    binding = session.execute(
        select(models.Binding).where(
            models.Binding.line_id == line.id, models.Binding.service == service
        )
    ).scalar_one_or_none()
    if binding is None:
        raise NotFound("no bound service with this name on this line", code="unknown_binding")
    today = local_today(profile_of(operator), deps.clock.now())
    raw = {
        "msisdn": line.msisdn,
        "service": binding.service,
        "category": binding.category,
        "notify_email": binding.notify_email,
        "notify_url": binding.notify_url,
        "bound_on": binding.bound_on.isoformat(),
        "unbound_on": (binding.unbound_on or on or today).isoformat(),
    }
    return sync(session, deps, actor, operator, "bindings", raw)


def lift_hold(
    session: Session,
    deps: Deps,
    actor: Actor,
    operator: models.Operator,
    msisdn: str,
    body: dict[str, Any],
) -> Synced:
    """Lift a legal hold: who asked and why are recorded; the line may then be closed."""
    line = _line_of(session, actor, operator, msisdn)
    hold = session.execute(
        select(LegalHold).where(LegalHold.line_id == line.id)
    ).scalar_one_or_none()
    if hold is None:
        raise NotFound("this line has no legal hold", code="unknown_hold")
    today = local_today(profile_of(operator), deps.clock.now())
    raw = {
        "msisdn": line.msisdn,
        "reason": body.get("reason") or hold.reason,
        "requested_by": body.get("requested_by"),
        "placed_on": hold.placed_on.isoformat(),
        "lifted_on": body.get("lifted_on") or (hold.lifted_on or today).isoformat(),
    }
    if not raw["requested_by"]:
        raise InvalidInput(
            "requested_by is required: who asked to lift the hold",
            code="invalid_value",
            field="requested_by",
        )
    return sync(session, deps, actor, operator, "legal_holds", raw)


def found(
    session: Session,
    deps: Deps,
    actor: Actor,
    operator: models.Operator,
    msisdn: str,
    on: date | None,
) -> Synced:
    """A line reported lost was found (or its owner verified): the report ends, kept on record."""
    line = _line_of(session, actor, operator, msisdn)
    if not line.lost_reported:
        raise Conflict("this line is not reported lost", code="not_reported_lost")
    today = local_today(profile_of(operator), deps.clock.now())
    day = (on or today).isoformat()
    # The report's own day lives in the audit log; the record keeps the day it ended.
    raw = {"msisdn": line.msisdn, "reported_on": day, "found_on": day}
    return sync(session, deps, actor, operator, "lost_reports", raw)
