"""Adding operators, subscribers and lines: used by sync jobs, the demo seed and test factories."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain.aging import NumberState
from lineclose.domain.facts import LineStatus
from lineclose.domain.identifiers import (
    mask_id_number,
    normalize_iccid,
    normalize_id_number,
    normalize_imsi,
    normalize_msisdn,
)
from lineclose.domain.profiles import profile_for
from lineclose.errors import Conflict
from lineclose.security.secrets_hashing import hash_password
from lineclose.services.context import Deps


def add_operator(
    session: Session,
    deps: Deps,
    code: str,
    name: str,
    profile: str,
    auto_approval: dict[str, Any] | None = None,
    overrides: dict[str, Any] | None = None,
) -> models.Operator:
    profile_for(profile, overrides)  # refuse unknown profiles and bad overrides up front
    operator = models.Operator(
        code=code,
        name=name,
        profile=profile,
        profile_overrides=overrides or {},
        auto_approval=auto_approval or {},
        created_at=deps.clock.now(),
    )
    session.add(operator)
    session.flush()
    return operator


@dataclass
class LineSpec:
    msisdn: str
    iccid: str
    imsi: str
    kind: str = "sim"
    payment: str = "prepaid"
    monthly_fee_minor: int = 0
    billing_day: int = 1
    paid_credit_minor: int = 0
    promo_credit_minor: int = 0
    unbilled_usage_minor: int = 0
    activated_on: date = date(2022, 1, 1)
    holder_name: str = ""
    id_number: str | None = None
    email: str | None = None
    service_password: str | None = None
    subscriber_kind: str = "personal"
    legal_hold: bool = False
    lost_reported: bool = False
    fleet_account: str | None = None
    unpaid_bills: list[tuple[int, date]] = field(default_factory=list)
    contract: dict[str, Any] | None = None
    bindings: list[dict[str, Any]] = field(default_factory=list)


def add_subscriber(
    session: Session, deps: Deps, operator: models.Operator, spec: LineSpec
) -> models.Subscriber:
    profile = profile_for(operator.profile, operator.profile_overrides or None)
    subscriber = models.Subscriber(
        operator_id=operator.id,
        kind=spec.subscriber_kind,
        name_enc=deps.vault.encrypt(spec.holder_name) if spec.holder_name else None,
        email_enc=deps.vault.encrypt(spec.email) if spec.email else None,
        service_password_hash=hash_password(spec.service_password)
        if spec.service_password
        else None,
        created_at=deps.clock.now(),
    )
    if spec.id_number:
        normalized = normalize_id_number(spec.id_number, profile.id_scheme, deps.clock.now().date())
        subscriber.id_number_enc = deps.vault.encrypt(normalized.value)
        subscriber.id_number_index = deps.vault.blind_index(normalized.value)
        subscriber.id_number_masked = mask_id_number(normalized.value, profile.id_last_six_allowed)
    session.add(subscriber)
    session.flush()
    return subscriber


def add_line(
    session: Session,
    deps: Deps,
    operator: models.Operator,
    spec: LineSpec,
    subscriber: models.Subscriber | None = None,
) -> models.Line:
    """A line with its subscriber, bills, contract, bindings, number and HLR record."""
    profile = profile_for(operator.profile, operator.profile_overrides or None)
    now = deps.clock.now()
    msisdn = normalize_msisdn(spec.msisdn)
    number = session.get(models.Number, msisdn)
    if number is not None:
        _ensure_assignable(number)
    subscriber = subscriber or add_subscriber(session, deps, operator, spec)
    line = models.Line(
        operator_id=operator.id,
        subscriber_id=subscriber.id,
        msisdn=msisdn,
        iccid=normalize_iccid(spec.iccid),
        imsi=normalize_imsi(spec.imsi),
        kind=spec.kind,
        payment=spec.payment,
        status=LineStatus.ACTIVE,
        currency=profile.currency,
        monthly_fee_minor=spec.monthly_fee_minor,
        billing_day=spec.billing_day,
        paid_credit_minor=spec.paid_credit_minor,
        promo_credit_minor=spec.promo_credit_minor,
        unbilled_usage_minor=spec.unbilled_usage_minor,
        legal_hold=spec.legal_hold,
        lost_reported=spec.lost_reported,
        fleet_account=spec.fleet_account,
        activated_on=spec.activated_on,
    )
    session.add(line)
    session.flush()
    for amount, due in spec.unpaid_bills:
        session.add(
            models.Bill(
                line_id=line.id,
                period_start=date(due.year, due.month, 1),
                period_end=due,
                amount_minor=amount,
                currency=profile.currency,
                due_on=due,
                lines_json=[{"label": "Monthly plan fee", "amount_minor": amount}],
            )
        )
    if spec.contract:
        session.add(models.Contract(line_id=line.id, **spec.contract))
    for binding in spec.bindings:
        session.add(models.Binding(line_id=line.id, bound_on=spec.activated_on, **binding))
    if number is None:
        session.add(
            models.Number(
                msisdn=line.msisdn, operator_id=operator.id, state="assigned", updated_at=now
            )
        )
    else:
        number.state = NumberState.ASSIGNED.value
        number.aging_until = None
        number.updated_at = now
    session.flush()
    return line


def _ensure_assignable(number: models.Number) -> None:
    """A number goes to a new line only from the pool: never in service, aging or ported out."""
    state = NumberState(number.state)
    if state is NumberState.AVAILABLE:
        return
    if state is NumberState.AGING:
        raise Conflict(
            f"the number is aging until {number.aging_until}: it cannot be reassigned before",
            code="number_still_aging",
        )
    if state is NumberState.PORTED_OUT:
        raise Conflict("the number was ported out to another operator", code="number_ported_out")
    raise Conflict("the number belongs to a line in service", code="number_in_service")
