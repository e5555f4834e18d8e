"""The requester (or staff for them) withdraws a closure before it executes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain.states import Command
from lineclose.services.closure.references import ensure_can_act, get_request
from lineclose.services.closure.transitions import transition
from lineclose.services.context import Actor, Deps


def withdraw(
    session: Session, deps: Deps, actor: Actor, reference: str, note: str = ""
) -> models.ClosureRequest:
    """Withdraw a request not yet executing; the transition table refuses it afterwards."""
    request = get_request(session, reference)
    ensure_can_act(actor, request)
    transition(session, deps, request, Command.WITHDRAW, actor, {"note": note} if note else {})
    return request
