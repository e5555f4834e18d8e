"""A request's eligibility, evaluated from the line's facts and what the requester gave."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain.eligibility import Eligibility, evaluate
from lineclose.domain.facts import ClosureIntent, IdentityMethod, LineFacts
from lineclose.services.context import Deps
from lineclose.services.line_loading import LoadedFacts, load_facts
from lineclose.services.lines import local_today, profile_of


def evaluate_request(session: Session, deps: Deps, request: models.ClosureRequest) -> Eligibility:
    return evaluate_with_facts(session, deps, request)[1]


def evaluate_with_facts(
    session: Session,
    deps: Deps,
    request: models.ClosureRequest,
    loaded: LoadedFacts | None = None,
) -> tuple[LineFacts, Eligibility]:
    """`loaded`: the line's facts read earlier in this unit of work, when nothing since has
    changed them (a submission reads them once, before inserting the request)."""
    line = request.line
    profile = profile_of(line.operator)
    intent = ClosureIntent(
        requested_date=request.requested_date,
        accept_etf=request.accept_etf,
        acknowledged_binding_ids=frozenset(request.acknowledged_bindings or []),
        identity_methods=frozenset(IdentityMethod(m) for m in request.identity_methods or []),
    )
    if loaded is None:
        loaded = load_facts(session, line, profile, exclude_request_id=request.id)
    return loaded.facts, evaluate(
        loaded.facts,
        intent,
        profile,
        loaded.calendar,
        local_today(profile, deps.clock.now()),
    )
