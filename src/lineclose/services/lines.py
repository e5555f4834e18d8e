"""Loading a line and the facts every closure decision is made from."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain import facts as f
from lineclose.domain.calendars import WorkingCalendar
from lineclose.domain.identifiers import InvalidIdentifier, mask_msisdn, normalize_msisdn
from lineclose.domain.profiles import JurisdictionProfile, profile_for
from lineclose.domain.states import OPEN_STATES
from lineclose.errors import Forbidden, InvalidInput, NotFound
from lineclose.services.context import Actor, Role


def parse_msisdn(raw: str) -> str:
    try:
        return normalize_msisdn(raw)
    except InvalidIdentifier as exc:
        raise InvalidInput(str(exc), code="invalid_msisdn", field="msisdn") from exc


def operator_regions(session: Session, operator_id: int | None = None) -> list[str]:
    """The countries whose national number forms staff and subscribers may type, in a stable order."""
    query = select(models.Operator.profile, models.Operator.profile_overrides).order_by(
        models.Operator.id
    )
    if operator_id is not None:
        query = query.where(models.Operator.id == operator_id)
    regions: list[str] = []
    for profile, overrides in session.execute(query).all():
        country = profile_for(profile, overrides or None).country
        if country not in regions:
            regions.append(country)
    return regions


def resolve_msisdn(session: Session, raw: str, operator_id: int | None = None) -> str:
    """E.164 for a number typed in full or in the national form of an operator's country.

    `13800138009` on a Chinese operator is `+8613800138009`: people type their number the way
    they dial it. Where several operators' countries would read it, the one holding a line
    with that number wins, else the first operator's.
    """
    text = raw.strip()
    if text.startswith(("+", "00")):
        return parse_msisdn(text)
    candidates: list[str] = []
    for region in operator_regions(session, operator_id):
        try:
            candidates.append(normalize_msisdn(text, region))
        except InvalidIdentifier:
            continue
    for msisdn in candidates:
        if line_by_msisdn(session, msisdn) is not None:
            return msisdn
    if candidates:
        return candidates[0]
    return parse_msisdn(text)


def line_by_msisdn(session: Session, msisdn: str) -> models.Line | None:
    """The line in service with this number, else the one that held it last: a number given to
    a new line after aging belongs to that line; before that, its closed line still answers."""
    return session.execute(
        select(models.Line)
        .where(models.Line.msisdn == msisdn)
        .order_by(models.Line.status == f.LineStatus.CLOSED, models.Line.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def unknown_line(msisdn: str) -> NotFound:
    return NotFound(f"no line with number {mask_msisdn(msisdn)}", code="unknown_line")


def find_line(session: Session, raw_msisdn: str) -> models.Line:
    msisdn = resolve_msisdn(session, raw_msisdn)
    line = line_by_msisdn(session, msisdn)
    if line is None:
        raise unknown_line(msisdn)
    return line


def ensure_can_see_line(actor: Actor, line: models.Line, hidden_as: NotFound | None = None) -> None:
    """Subscribers see only their own lines; staff only their operator's (when bound to one).

    A line the caller may not see answers exactly as a number that does not exist, so no one
    learns which numbers are in service by asking about them. Callers that found the line by
    something else (a request reference, a line id) pass the refusal they give for an unknown one.
    """
    if actor.role is Role.SUBSCRIBER:
        if actor.subscriber_id != line.subscriber_id:
            raise hidden_as or unknown_line(line.msisdn)
    elif actor.is_staff or actor.role is Role.INTEGRATION:
        if actor.operator_id is not None and actor.operator_id != line.operator_id:
            raise hidden_as or unknown_line(line.msisdn)
    else:
        raise Forbidden("sign in to see this line", code="forbidden")


def profile_of(operator: models.Operator) -> JurisdictionProfile:
    return profile_for(operator.profile, operator.profile_overrides or None)


def calendar_for(session: Session, profile: JurisdictionProfile) -> WorkingCalendar:
    rows = session.execute(
        select(models.CalendarOverride.day, models.CalendarOverride.working).where(
            models.CalendarOverride.country == profile.country
        )
    ).all()
    return WorkingCalendar(
        country=profile.country,
        source=profile.calendar,
        overrides={day: working for day, working in rows},
    )


def line_facts(
    session: Session, line: models.Line, exclude_request_id: int | None = None
) -> f.LineFacts:
    bills = session.execute(
        select(models.Bill)
        .where(models.Bill.line_id == line.id, models.Bill.paid_at.is_(None))
        .order_by(models.Bill.due_on)
    ).scalars()
    contract = session.execute(
        select(models.Contract).where(models.Contract.line_id == line.id)
    ).scalar_one_or_none()
    bindings = session.execute(
        select(models.Binding)
        .where(models.Binding.line_id == line.id, models.Binding.unbound_on.is_(None))
        .order_by(models.Binding.id)
    ).scalars()
    orders = [
        f.OpenOrder(o.kind, o.reference)
        for o in session.execute(
            select(models.OpenOrder).where(
                models.OpenOrder.line_id == line.id, models.OpenOrder.status == "open"
            )
        ).scalars()
    ]
    other_requests = session.execute(
        select(models.ClosureRequest.reference).where(
            models.ClosureRequest.line_id == line.id,
            models.ClosureRequest.status.in_([s.value for s in OPEN_STATES]),
            models.ClosureRequest.id != (exclude_request_id or -1),
        )
    ).scalars()
    orders.extend(f.OpenOrder("closure", ref) for ref in other_requests)
    return build_facts(
        line,
        tuple(f.UnpaidBill(b.id, b.amount_minor, b.due_on) for b in bills),
        contract_facts(contract) if contract else None,
        tuple(f.Binding(b.id, b.service, b.category) for b in bindings),
        tuple(orders),
    )


def contract_facts(contract: models.Contract) -> f.Contract:
    return f.Contract(
        commitment_end=contract.commitment_end,
        etf_rule=f.EtfRule(contract.etf_rule),
        etf_fixed_minor=contract.etf_fixed_minor,
        etf_monthly_minor=contract.etf_monthly_minor,
        processing_fee_minor=contract.processing_fee_minor,
    )


def build_facts(
    line: models.Line,
    unpaid_bills: tuple[f.UnpaidBill, ...],
    contract: f.Contract | None,
    bindings: tuple[f.Binding, ...],
    orders: tuple[f.OpenOrder, ...],
) -> f.LineFacts:
    return f.LineFacts(
        msisdn=line.msisdn,
        kind=f.LineKind(line.kind),
        payment=f.PaymentMode(line.payment),
        status=f.LineStatus(line.status),
        currency=line.currency,
        monthly_fee_minor=line.monthly_fee_minor,
        billing_day=line.billing_day,
        paid_credit_minor=line.paid_credit_minor,
        promo_credit_minor=line.promo_credit_minor,
        unbilled_usage_minor=line.unbilled_usage_minor,
        unpaid_bills=unpaid_bills,
        contract=contract,
        active_bindings=bindings,
        legal_hold=line.legal_hold,
        lost_reported=line.lost_reported,
        open_orders=orders,
        fleet=line.fleet_account is not None,
    )


def local_today(profile: JurisdictionProfile, now: datetime) -> date:
    """Deadlines and closure dates are counted in the jurisdiction's own day, not UTC's."""
    return now.astimezone(ZoneInfo(profile.timezone)).date()
