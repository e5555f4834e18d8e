"""Idle lines as staff see them: what each costs per month and what it has cost since last use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.db.models_channels import IdleReminder, SmsOptOut
from lineclose.domain.identifiers import mask_msisdn
from lineclose.errors import Forbidden
from lineclose.services.context import Actor, Deps
from lineclose.services.idle.rules import IDLE_RULES, months_before, whole_months_between
from lineclose.services.idle.sweep import IN_SERVICE
from lineclose.services.lines import local_today, profile_of


@dataclass(frozen=True)
class IdleLineView:
    msisdn_masked: str
    operator: str
    currency: str
    monthly_fee_minor: int
    last_usage_on: date
    months_idle: int
    paid_while_idle_minor: int  # the fee times the whole months since last use
    next_year_minor: int  # what another year would cost
    reminded_on: date | None
    opted_out: bool


@dataclass(frozen=True)
class IdleTotals:
    currency: str
    lines: int
    monthly_minor: int
    paid_while_idle_minor: int


@dataclass(frozen=True)
class IdleListing:
    lines: list[IdleLineView]
    totals: list[IdleTotals]


def list_idle_lines(
    session: Session, deps: Deps, actor: Actor, operator_code: str | None = None, limit: int = 200
) -> IdleListing:
    """Staff only; a token bound to an operator sees only that operator's lines. Ordered by the
    money paid while idle, largest first; totals are per currency over every listed line."""
    if not actor.is_staff:
        raise Forbidden("staff only", code="staff_only")
    now = deps.clock.now()
    operators = select(models.Operator).order_by(models.Operator.id)
    if actor.operator_id is not None:
        operators = operators.where(models.Operator.id == actor.operator_id)
    if operator_code:
        operators = operators.where(models.Operator.code == operator_code)
    views: list[IdleLineView] = []
    line = models.Line
    for operator in session.execute(operators).scalars():
        profile = profile_of(operator)
        rule = IDLE_RULES.get(profile.code)
        if rule is None:
            continue
        today = local_today(profile, now)
        last_reminder = (
            select(func.max(IdleReminder.sent_at))
            .where(IdleReminder.line_id == line.id)
            .scalar_subquery()
        )
        opted = select(SmsOptOut.line_id).where(SmsOptOut.line_id == line.id).exists()
        rows = session.execute(
            select(line, last_reminder, opted).where(
                line.operator_id == operator.id,
                line.status.in_(IN_SERVICE),
                line.monthly_fee_minor > 0,
                line.last_usage_on.is_not(None),
                line.last_usage_on <= months_before(today, rule.idle_after_months),
            )
        ).all()
        for found, reminded_at, opted_out in rows:
            assert found.last_usage_on is not None
            months = whole_months_between(found.last_usage_on, today)
            views.append(
                IdleLineView(
                    msisdn_masked=mask_msisdn(found.msisdn),
                    operator=operator.code,
                    currency=found.currency,
                    monthly_fee_minor=found.monthly_fee_minor,
                    last_usage_on=found.last_usage_on,
                    months_idle=months,
                    paid_while_idle_minor=found.monthly_fee_minor * months,
                    next_year_minor=found.monthly_fee_minor * 12,
                    reminded_on=reminded_at.date() if reminded_at else None,
                    opted_out=bool(opted_out),
                )
            )
    views.sort(key=lambda v: (-v.paid_while_idle_minor, v.msisdn_masked))
    totals: dict[str, IdleTotals] = {}
    for view in views:
        t = totals.get(view.currency, IdleTotals(view.currency, 0, 0, 0))
        totals[view.currency] = IdleTotals(
            view.currency,
            t.lines + 1,
            t.monthly_minor + view.monthly_fee_minor,
            t.paid_while_idle_minor + view.paid_while_idle_minor,
        )
    return IdleListing(views[:limit], sorted(totals.values(), key=lambda t: t.currency))
