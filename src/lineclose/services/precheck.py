"""Stateless precheck: what blocks closing a line, what it costs, how to fix it."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from lineclose.domain.eligibility import Eligibility, evaluate
from lineclose.domain.facts import ClosureIntent
from lineclose.errors import InvalidInput
from lineclose.services.context import Actor, Deps
from lineclose.services.identity import IdentityEvidence, verify_evidence
from lineclose.services.line_loading import load_facts, load_line
from lineclose.services.lines import ensure_can_see_line, local_today, profile_of


def precheck(
    session: Session,
    deps: Deps,
    actor: Actor,
    raw_msisdn: str,
    requested_date: date | None = None,
    accept_etf: bool = False,
    acknowledged_bindings: tuple[int, ...] = (),
    identity: tuple[IdentityEvidence, ...] = (),
) -> Eligibility:
    line = load_line(session, raw_msisdn)
    ensure_can_see_line(actor, line)
    profile = profile_of(line.operator)
    today = local_today(profile, deps.clock.now())
    if requested_date is not None and requested_date < today:
        raise InvalidInput(
            f"requested_date {requested_date.isoformat()} is in the past: choose today or later",
            code="date_in_past",
            field="requested_date",
        )
    methods = verify_evidence(session, deps, actor, line, list(identity))
    loaded = load_facts(session, line, profile)
    return evaluate(
        loaded.facts,
        ClosureIntent(
            requested_date=requested_date,
            accept_etf=accept_etf,
            acknowledged_binding_ids=frozenset(acknowledged_bindings),
            identity_methods=methods,
        ),
        profile,
        loaded.calendar,
        today,
    )
