"""For the precheck: which services bound to a number will be told of its closure by
Lineclose (by webhook or e-mail), and which the subscriber must unbind by hand."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.services.context import Actor
from lineclose.services.lines import ensure_can_see_line, find_line
from lineclose.services.webhooks.subscriptions import automatic_notices


@dataclass(frozen=True)
class BoundService:
    binding_id: int
    service: str
    category: str
    told_by: str | None  # webhook | email | None: the subscriber must unbind it by hand


def bound_services(session: Session, actor: Actor, raw_msisdn: str) -> list[BoundService]:
    line = find_line(session, raw_msisdn)
    ensure_can_see_line(actor, line)
    told = automatic_notices(session, line.id, line.operator_id)
    bindings = session.execute(
        select(models.Binding)
        .where(models.Binding.line_id == line.id, models.Binding.unbound_on.is_(None))
        .order_by(models.Binding.id)
    ).scalars()
    return [BoundService(b.id, b.service, b.category, told.get(b.service)) for b in bindings]
