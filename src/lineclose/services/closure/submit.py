"""Submitting and resubmitting a closure request, once per Idempotency-Key on every channel."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, make_transient_to_detached

from lineclose.db import audit, models
from lineclose.domain.eligibility import Eligibility
from lineclose.domain.facts import IdentityMethod, LineStatus
from lineclose.domain.states import Command, RequestState
from lineclose.errors import Conflict, IdempotencyMismatch, TransitionNotAllowed
from lineclose.services.closure.input import ClosureInput, apply_input
from lineclose.services.closure.recording import new_request, write
from lineclose.services.closure.references import (
    BodySource,
    ensure_can_act,
    get_request,
    new_reference,
    secure_body,
)
from lineclose.services.closure.routing import route
from lineclose.services.closure.transitions import transition
from lineclose.services.context import Actor, Deps
from lineclose.services.line_loading import load_facts, load_line
from lineclose.services.lines import ensure_can_see_line, profile_of

# Draws of a new reference before giving up; a clash is about one in 2,000 a year at a million
# closures, so a second draw all but never clashes too.
REFERENCE_ATTEMPTS = 5
# Columns a new request starts without: set (to None, False) so the persistent object knows
# every column and reads none back.
_UNSET: dict[str, object] = {
    "requested_date": None,
    "accept_etf": False,
    "identity_document": None,
    "refund_account_enc": None,
    "refund_account_masked": None,
    "alternate_contact_enc": None,
    "alternate_contact_masked": None,
    "rejection": None,
    "quote": None,
    "decision_note": None,
    "review_due_on": None,
    "escalated_at": None,
    "scheduled_for": None,
    "assigned_to": None,
    "closed_at": None,
}
# The row of a new request, unless its reference or Idempotency-Key is taken; [on PostgreSQL].
_INSERT = {
    postgresql: insert(models.ClosureRequest)
    .on_conflict_do_nothing()
    .returning(models.ClosureRequest.id)
    for postgresql, insert in ((False, sqlite_insert), (True, pg_insert))
}
# The request's columns but its id, in table order.
_COLUMNS = [a for a in inspect(models.ClosureRequest).column_attrs if a.key != "id"]


@dataclass
class Submitted:
    request: models.ClosureRequest
    created: bool
    eligibility: Eligibility | None = field(default=None)
    # A created request's history, as recorded (its answer needs no read).
    events: list[models.RequestEvent] | None = field(default=None)


def _replay(session: Session, key: str, digest: str) -> Submitted | None:
    """The request first made with this key, if any; the same key with other content is refused."""
    existing = session.execute(
        select(models.ClosureRequest).where(models.ClosureRequest.idempotency_key == key)
    ).scalar_one_or_none()
    if existing is None:
        return None
    if existing.payload_digest != digest:
        raise IdempotencyMismatch(
            "this Idempotency-Key was used for a different request: use a new key"
        )
    return Submitted(existing, created=False)


def _replayed(session: Session, replay: tuple[int, str] | None, digest: str) -> Submitted | None:
    """`_replay` for a request found with the line's facts (`replay`: its id and digest)."""
    if replay is None:
        return None
    if replay[1] != digest:
        raise IdempotencyMismatch(
            "this Idempotency-Key was used for a different request: use a new key"
        )
    existing = session.get(models.ClosureRequest, replay[0])
    assert existing is not None
    return Submitted(existing, created=False)


def _ensure_no_open_request(line: models.Line, open_request: str | None) -> None:
    if open_request:
        raise Conflict(
            f"this line already has an open closure request {open_request}",
            code="open_request_exists",
            reference=open_request,
        )
    if line.status == LineStatus.CLOSED:
        raise Conflict("this line is already closed", code="line_closed")


def _insert_row(session: Session, request: models.ClosureRequest) -> bool:
    """Insert the request's row unless its reference or Idempotency-Key is taken (then False),
    and make the object the persistent request. One statement: a taken key or reference does
    not fail the statement (ON CONFLICT DO NOTHING), so no savepoint is needed to go on."""
    values = {
        attribute.key: request.__dict__[attribute.key]
        for attribute in _COLUMNS
        if attribute.key in request.__dict__
    }
    connection = session.connection()
    statement = _INSERT[connection.dialect.name == "postgresql"]
    new_id = connection.execute(statement, values).scalar_one_or_none()
    if new_id is None:
        return False
    request.id = new_id
    make_transient_to_detached(request)
    session.add(request)
    return True


def _insert(
    session: Session,
    deps: Deps,
    request: models.ClosureRequest,
    key: str | None,
    digest: str,
    draw: BodySource,
    mark: int,
) -> Submitted | None:
    """Insert under the reference drawn for it, or a fresh one. A taken unique key is either
    another process that committed the same Idempotency-Key first (answer with its request,
    and forget the audit entries recorded since `mark`) or a reference clash (draw again: the
    entries recorded since `mark` then name the new reference)."""
    for attempt in range(REFERENCE_ATTEMPTS):
        if attempt:
            drawn = new_reference(deps.clock.now(), draw)
            audit.rename_since(session, mark, "closure_request", request.reference, drawn)
            request.reference = drawn
        if _insert_row(session, request):
            return None
        if key is not None:
            winner = _replay(session, key, digest)
            if winner is not None:
                audit.discard_since(session, mark)
                return winner
    raise Conflict("could not allot a free reference: try again", code="reference_exhausted")


def submit(
    session: Session,
    deps: Deps,
    actor: Actor,
    raw_msisdn: str,
    given: ClosureInput,
    idempotency_key: str | None = None,
    *,
    draw_reference: BodySource = secure_body,
    granted: frozenset[IdentityMethod] = frozenset(),
) -> Submitted:
    """Open a closure request on a line with no open request. With an Idempotency-Key, the
    first request made with that key (by this actor) is returned unchanged on a repeat, even
    when two repeats race: whichever commits second answers with the first one's request.
    `granted`: identity the calling service established itself (a fleet batch's authorisation),
    which no evidence a requester sends can claim."""
    line = load_line(session, raw_msisdn)
    ensure_can_see_line(actor, line)
    digest = given.digest(line.msisdn, actor.channel.value)
    key = f"{actor.label}:{idempotency_key}" if idempotency_key else None
    # Read once, with the request an earlier call made with this key: nothing the submission
    # does before routing changes the line's facts.
    loaded = load_facts(session, line, profile_of(line.operator), idempotency_key=key)
    replayed = _replayed(session, loaded.replay, digest)
    if replayed is not None:
        return replayed
    _ensure_no_open_request(line, loaded.open_request)
    now = deps.clock.now()
    request = models.ClosureRequest(
        reference="",
        operator_id=line.operator_id,
        line_id=line.id,
        line=line,
        operator=line.operator,
        status=RequestState.SUBMITTED.value,
        channel=actor.channel.value,
        submitted_by=actor.label,
        idempotency_key=key,
        payload_digest=digest,
        acknowledged_bindings=[],
        identity_methods=[],
        blockers=[],
        submitted_at=now,
        created_at=now,
        updated_at=now,
        version=1,
        **_UNSET,
    )
    apply_input(session, deps, actor, request, given, loaded)
    if granted:
        request.identity_methods = sorted(
            {*(IdentityMethod(m) for m in request.identity_methods), *granted}
        )
    request.reference = new_reference(now, draw_reference)
    mark = audit.pending_mark(session)
    # The whole submission is decided in memory, then written: the request's row in its
    # final state (one INSERT, no UPDATE after), its history and its notices.
    with new_request(session, request) as recording:
        transition(session, deps, request, Command.SUBMIT, actor, new_request=True)
        result = route(session, deps, request, loaded)
    winner = _insert(session, deps, request, key, digest, draw_reference, mark)
    if winner is not None:
        return winner
    write(session, deps, request, recording)
    return Submitted(request, created=True, eligibility=result, events=recording.events)


def resubmit(
    session: Session, deps: Deps, actor: Actor, reference: str, given: ClosureInput
) -> Submitted:
    """Send a request that needs action or was rejected back through routing with new input."""
    request = get_request(session, reference)
    ensure_can_act(actor, request)
    if request.status not in (RequestState.NEEDS_ACTION.value, RequestState.REJECTED.value):
        raise TransitionNotAllowed(
            f"a request that is {request.status} cannot be resubmitted",
            state=request.status,
        )
    apply_input(session, deps, actor, request, given)
    request.submitted_at = deps.clock.now()
    request.rejection = None
    transition(session, deps, request, Command.RESUBMIT, actor)
    result = route(session, deps, request)
    return Submitted(request, created=False, eligibility=result)
