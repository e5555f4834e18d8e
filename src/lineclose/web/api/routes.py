"""The JSON API under /api/v1."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select

from lineclose.db import models
from lineclose.domain.identifiers import mask_msisdn
from lineclose.domain.states import RequestState
from lineclose.errors import Forbidden, InvalidInput
from lineclose.services import (
    closure,
    identity,
    ledger,
    numbers,
    operations,
    precheck,
    ratelimits,
)
from lineclose.services import port_out as port_out_service
from lineclose.services.certificates import certificate_pdf, find_certificate, public_view
from lineclose.services.context import Actor, Channel, Role, Scope
from lineclose.services.identity import IdentityEvidence
from lineclose.services.lines import ensure_can_see_line, find_line, local_today, profile_of
from lineclose.services.views import eligibility_view
from lineclose.web.api.deps import (
    DECIDERS,
    FRONT_DESK,
    STAFF,
    SUBSCRIBER,
    DepsDep,
    SessionDep,
    allow,
    limited,
    public,
)
from lineclose.web.api.request_view import request_view
from lineclose.web.api.schemas import (
    AssignIn,
    ClosureChanges,
    IdentityIn,
    NoteIn,
    NumberRecyclingIn,
    NumberRecyclingOut,
    OtpIn,
    OtpVerifyIn,
    PasswordChangeIn,
    PasswordResetIn,
    PasswordResetStartIn,
    PayIn,
    PortOutIn,
    PrecheckIn,
    RejectIn,
    StorePasswordResetIn,
    SubmitIn,
)

router = APIRouter(prefix="/api/v1")

# Who may call what. Integration tokens act only through the scopes listed.
Anyone = Annotated[Actor, allow(*SUBSCRIBER, *STAFF, scopes=(Scope.CLOSURE_READ,))]
LineViewer = Annotated[Actor, allow(*SUBSCRIBER, *STAFF)]
FrontDesk = Annotated[Actor, allow(*FRONT_DESK)]
Submitter = Annotated[Actor, allow(*FRONT_DESK, scopes=(Scope.CLOSURE_SUBMIT,))]
Prechecker = Annotated[Actor, allow(*SUBSCRIBER, *STAFF, scopes=(Scope.PRECHECK,))]
Decider = Annotated[Actor, allow(*DECIDERS)]
Supervisor = Annotated[Actor, allow(Role.SUPERVISOR, Role.ADMIN)]
Staff = Annotated[Actor, allow(*STAFF)]
Operations = Annotated[Actor, allow(Role.REVIEWER, Role.ADMIN)]
SubscriberOnly = Annotated[Actor, allow(*SUBSCRIBER)]
StoreStaff = Annotated[Actor, allow(Role.AGENT, Role.ADMIN)]
PortingDesk = Annotated[Actor, allow(Role.ADMIN)]
RecyclingChecker = Annotated[Actor, allow(*STAFF, scopes=(Scope.NUMBER_RECYCLING_CHECK,))]

STAFF_CHANNELS = {Channel.HOTLINE, Channel.STORE, Channel.BULK, Channel.API}


def _evidence(items: list[IdentityIn]) -> tuple[IdentityEvidence, ...]:
    return tuple(IdentityEvidence(i.method, i.value) for i in items)


def _changes(body: ClosureChanges) -> closure.ClosureInput:
    return closure.ClosureInput(
        refund_account=body.refund_account,
        alternate_contact=body.alternate_contact,
        acknowledged_bindings=tuple(body.acknowledged_bindings),
        accept_etf=body.accept_etf,
        requested_date=body.requested_date,
        schedule_at_term_end=body.schedule_at_term_end,
        identity=_evidence(body.identity),
    )


def _view(session: SessionDep, deps: DepsDep, request: models.ClosureRequest) -> dict[str, Any]:
    today = local_today(profile_of(request.operator), deps.clock.now())
    return request_view(session, request, today)


SIGN_IN_LIMIT = limited(ratelimits.sign_in_per_client)


def _started(started: identity.ChallengeStarted) -> dict[str, Any]:
    return {
        "challenge_id": started.challenge_id,
        "expires_at": started.expires_at.isoformat(),
        "sent_to": started.sent_to,
    }


@router.post(
    "/auth/otp",
    status_code=202,
    tags=["identity"],
    dependencies=[public("signing in starts here"), SIGN_IN_LIMIT],
)
def start_otp(body: OtpIn, session: SessionDep, deps: DepsDep) -> dict[str, Any]:
    """Send a one-time code to the line; its answer is the challenge to verify.

    At most one code a minute and a few an hour per line (429 with Retry-After beyond).
    """
    started = identity.start_otp(session, deps, body.msisdn)
    session.commit()
    return _started(started)


@router.post(
    "/auth/otp/verify",
    tags=["identity"],
    dependencies=[public("signing in ends here"), SIGN_IN_LIMIT],
)
def verify_otp(body: OtpVerifyIn, session: SessionDep, deps: DepsDep) -> dict[str, Any]:
    outcome = identity.verify_otp(session, deps, body.challenge_id, body.code)
    session.commit()  # a wrong code still spends an attempt
    if outcome.error is not None:
        raise outcome.error
    assert outcome.token and outcome.expires_at
    return {
        "access_token": outcome.token,
        "token_type": "bearer",
        "expires_at": outcome.expires_at.isoformat(),
    }


@router.post("/auth/sign-out", status_code=204, tags=["identity"])
def sign_out(
    session: SessionDep,
    deps: DepsDep,
    actor: SubscriberOnly,
    authorization: Annotated[str, Header()],
) -> Response:
    """Revoke this session at once; the token is refused from then on."""
    identity.sign_out(session, deps, authorization.partition(" ")[2].strip())
    session.commit()
    return Response(status_code=204)


@router.put("/auth/password", status_code=204, tags=["identity"])
def change_password(
    body: PasswordChangeIn, session: SessionDep, deps: DepsDep, actor: SubscriberOnly
) -> Response:
    """Set (the first, from a session signed in by a code to the line) or change the password."""
    identity.set_service_password(session, deps, actor, body.current_password, body.new_password)
    session.commit()
    return Response(status_code=204)


@router.post(
    "/auth/password/reset/start",
    status_code=202,
    tags=["identity"],
    dependencies=[public("a forgotten password cannot require a sign-in"), SIGN_IN_LIMIT],
)
def start_password_reset(
    body: PasswordResetStartIn, session: SessionDep, deps: DepsDep
) -> dict[str, Any]:
    """Send a reset code to the line. Refused for a line reported lost: reset it in a store."""
    started = identity.start_otp(session, deps, body.msisdn, purpose=identity.PASSWORD_RESET)
    session.commit()
    return _started(started)


@router.post(
    "/auth/password/reset",
    status_code=204,
    tags=["identity"],
    dependencies=[public("a forgotten password cannot require a sign-in"), SIGN_IN_LIMIT],
)
def reset_password(body: PasswordResetIn, session: SessionDep, deps: DepsDep) -> Response:
    """The code sent to the line plus the holder's ID number (full, or last six where allowed)."""
    refused = identity.reset_password_with_code(
        session, deps, body.challenge_id, body.code, body.id_number, body.new_password
    )
    session.commit()  # a wrong code or ID number still counts
    if refused is not None:
        raise refused
    return Response(status_code=204)


@router.post("/auth/password/store-reset", status_code=204, tags=["identity"])
def store_password_reset(
    body: StorePasswordResetIn, session: SessionDep, deps: DepsDep, actor: StoreStaff
) -> Response:
    """In a store, after an agent saw the holder's ID document; recorded as such."""
    identity.reset_password_in_store(
        session,
        deps,
        replace(actor, channel=Channel.STORE),
        body.msisdn,
        body.id_document_seen,
        body.document_kind,
        body.new_password,
    )
    session.commit()
    return Response(status_code=204)


@router.get("/lines/{msisdn}", tags=["lines"])
def get_line(msisdn: str, session: SessionDep, actor: LineViewer) -> dict[str, Any]:
    line = find_line(session, msisdn)
    ensure_can_see_line(actor, line)
    bills = session.execute(
        select(models.Bill).where(models.Bill.line_id == line.id).order_by(models.Bill.due_on)
    ).scalars()
    bindings = session.execute(
        select(models.Binding).where(models.Binding.line_id == line.id).order_by(models.Binding.id)
    ).scalars()
    return {
        "msisdn": mask_msisdn(line.msisdn),
        "kind": line.kind,
        "payment": line.payment,
        "status": line.status,
        "currency": line.currency,
        "operator": line.operator.name,
        "profile": line.operator.profile,
        "bills": [
            {
                "id": b.id,
                "kind": b.kind,
                "amount_minor": b.amount_minor,
                "due_on": b.due_on.isoformat(),
                "paid": b.paid_at is not None,
            }
            for b in bills
        ],
        "bindings": [
            {
                "id": b.id,
                "service": b.service,
                "category": b.category,
                "unbound_on": b.unbound_on.isoformat() if b.unbound_on else None,
            }
            for b in bindings
        ],
    }


@router.post(
    "/precheck", tags=["closure"], dependencies=[limited(ratelimits.precheck_limit, "caller")]
)
def run_precheck(
    body: PrecheckIn, session: SessionDep, deps: DepsDep, actor: Prechecker
) -> dict[str, Any]:
    """Every blocker and warning at once, each with its remedy, and the quote. Changes nothing."""
    result = precheck.precheck(
        session,
        deps,
        actor,
        body.msisdn,
        requested_date=body.requested_date,
        accept_etf=body.accept_etf,
        acknowledged_bindings=tuple(body.acknowledged_bindings),
        identity=_evidence(body.identity),
    )
    return eligibility_view(result)


@router.post("/lines/{msisdn}/bills/{bill_id}/payments", status_code=201, tags=["ledger"])
def pay_bill(
    msisdn: str,
    bill_id: int,
    body: PayIn,
    session: SessionDep,
    deps: DepsDep,
    actor: FrontDesk,
    response: Response,
) -> dict[str, Any]:
    paid = ledger.pay_bill(session, deps, actor, msisdn, bill_id, body.amount_minor, body.reference)
    session.commit()
    if paid.replayed:
        response.status_code = 200
    return {
        "bill_id": paid.bill_id,
        "amount_minor": paid.amount_minor,
        "currency": paid.currency,
        "reference": paid.reference,
        "paid": True,
    }


@router.post("/lines/{msisdn}/bindings/{binding_id}/unbind", tags=["ledger"])
def unbind(
    msisdn: str, binding_id: int, session: SessionDep, deps: DepsDep, actor: FrontDesk
) -> dict[str, Any]:
    binding = ledger.unbind(session, deps, actor, msisdn, binding_id)
    session.commit()
    return {
        "id": binding.id,
        "service": binding.service,
        "unbound_on": binding.unbound_on.isoformat() if binding.unbound_on else None,
    }


def _channel_for(actor: Actor, asked: Channel | None) -> Actor:
    if asked is None:
        return actor
    if actor.role is Role.SUBSCRIBER:
        if asked not in (Channel.ONLINE, Channel.APP):
            raise Forbidden("subscribers submit online or in the app", code="channel_not_allowed")
    elif asked not in STAFF_CHANNELS:
        raise InvalidInput(
            "staff submit through hotline, store, bulk or api", code="channel_not_allowed"
        )
    return replace(actor, channel=asked)


@router.post("/closure-requests", status_code=201, tags=["closure"])
def submit(
    body: SubmitIn,
    session: SessionDep,
    deps: DepsDep,
    actor: Submitter,
    idempotency_key: str | None = Header(default=None, max_length=100),
) -> JSONResponse:
    """Submit a closure request. Repeating a call with the same Idempotency-Key returns the first request."""
    acting = _channel_for(actor, body.channel)
    submitted = closure.submit(session, deps, acting, body.msisdn, _changes(body), idempotency_key)
    session.commit()
    view = _view(session, deps, submitted.request)
    return JSONResponse(
        view,
        status_code=201 if submitted.created else 200,
        headers={"Location": f"/api/v1/closure-requests/{submitted.request.reference}"},
    )


@router.get("/closure-requests/{reference}", tags=["closure"])
def get_request(
    reference: str, session: SessionDep, deps: DepsDep, actor: Anyone
) -> dict[str, Any]:
    request = closure.get_request(session, reference)
    closure.ensure_can_act(actor, request)
    return _view(session, deps, request)


@router.post("/closure-requests/{reference}/resubmit", tags=["closure"])
def resubmit(
    reference: str, body: ClosureChanges, session: SessionDep, deps: DepsDep, actor: Submitter
) -> dict[str, Any]:
    closure.resubmit(session, deps, actor, reference, _changes(body))
    session.commit()
    return _view(session, deps, closure.get_request(session, reference))


@router.post("/closure-requests/{reference}/withdraw", tags=["closure"])
def withdraw(
    reference: str, body: NoteIn, session: SessionDep, deps: DepsDep, actor: Submitter
) -> dict[str, Any]:
    closure.withdraw(session, deps, actor, reference, body.note)
    session.commit()
    return _view(session, deps, closure.get_request(session, reference))


@router.post("/closure-requests/{reference}/approve", tags=["review"])
def approve(
    reference: str, body: NoteIn, session: SessionDep, deps: DepsDep, actor: Decider
) -> dict[str, Any]:
    """Approve; a refund above the profile's threshold needs two different approvers: the first
    approval is recorded and the request stays under review until the second."""
    closure.approve(session, deps, actor, reference, body.note)
    session.commit()
    return _view(session, deps, closure.get_request(session, reference))


@router.post("/closure-requests/{reference}/reject", tags=["review"])
def reject(
    reference: str, body: RejectIn, session: SessionDep, deps: DepsDep, actor: Decider
) -> dict[str, Any]:
    reasons = [closure.ReviewReason(r.code, r.note) for r in body.reasons]
    closure.reject(session, deps, actor, reference, reasons)
    session.commit()
    return _view(session, deps, closure.get_request(session, reference))


@router.get("/closure-requests", tags=["review"])
def review_queue(
    session: SessionDep,
    deps: DepsDep,
    actor: Decider,
    status: RequestState | None = Query(default=RequestState.UNDER_REVIEW),
    overdue: bool = False,
    limit: int = Query(default=100, ge=1, le=500),
) -> dict[str, Any]:
    """The review queue, oldest due date first; `overdue=true` lists only late ones."""
    query = select(models.ClosureRequest).order_by(
        models.ClosureRequest.review_due_on, models.ClosureRequest.id
    )
    if status is not None:
        query = query.where(models.ClosureRequest.status == status.value)
    if actor.operator_id is not None:
        query = query.where(models.ClosureRequest.operator_id == actor.operator_id)
    items = [_view(session, deps, r) for r in session.execute(query.limit(limit)).scalars()]
    if overdue:
        items = [i for i in items if i["overdue"]]
    return {"items": items, "count": len(items)}


@router.get("/escalations", tags=["review"])
def escalations(session: SessionDep, deps: DepsDep, actor: Supervisor) -> dict[str, Any]:
    """Overdue reviews, for supervisors to reassign or decide."""
    query = (
        select(models.ClosureRequest)
        .where(
            models.ClosureRequest.escalated_at.is_not(None),
            models.ClosureRequest.status == RequestState.UNDER_REVIEW.value,
        )
        .order_by(models.ClosureRequest.review_due_on)
    )
    if actor.operator_id is not None:
        query = query.where(models.ClosureRequest.operator_id == actor.operator_id)
    items = [_view(session, deps, r) for r in session.execute(query).scalars()]
    return {"items": items, "count": len(items)}


@router.post("/closure-requests/{reference}/assign", tags=["review"])
def assign(
    reference: str, body: AssignIn, session: SessionDep, deps: DepsDep, actor: Supervisor
) -> dict[str, Any]:
    """Hand an escalated review to a named reviewer."""
    closure.assign(session, deps, actor, reference, body.reviewer)
    session.commit()
    return _view(session, deps, closure.get_request(session, reference))


@router.get(
    "/certificates/{code}",
    tags=["certificates"],
    dependencies=[
        public("anyone holding a certificate may check it"),
        limited(ratelimits.certificate_limit),
    ],
)
def verify_certificate(code: str, session: SessionDep) -> dict[str, Any]:
    """Public: confirms a closure certificate without revealing personal data."""
    return public_view(find_certificate(session, code))


@router.get("/certificates/{code}/pdf", tags=["certificates"])
def certificate_document(
    code: str, session: SessionDep, deps: DepsDep, actor: LineViewer
) -> Response:
    certificate = find_certificate(session, code)
    request = session.get(models.ClosureRequest, certificate.request_id)
    assert request is not None
    closure.ensure_can_act(actor, request)
    url = f"{deps.settings.public_base_url}/verify/{certificate.code}"
    return Response(
        certificate_pdf(certificate, url),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{request.reference}.pdf"'},
    )


@router.post("/lines/{msisdn}/port-out", tags=["numbers"])
def port_out(
    msisdn: str, body: PortOutIn, session: SessionDep, deps: DepsDep, actor: PortingDesk
) -> dict[str, Any]:
    """Record a completed port-out: the number left with its subscriber and never ages here."""
    number = port_out_service.complete_port_out(session, deps, actor, msisdn, body.order_reference)
    session.commit()
    return {"msisdn": mask_msisdn(number.msisdn), "state": number.state}


@router.get("/numbers/{msisdn}", tags=["numbers"])
def number_state(msisdn: str, session: SessionDep, actor: Staff) -> dict[str, Any]:
    line = find_line(session, msisdn)
    ensure_can_see_line(actor, line)
    number = session.get(models.Number, line.msisdn)
    return {
        "msisdn": mask_msisdn(line.msisdn),
        "state": number.state if number else "assigned",
        "aging_until": number.aging_until.isoformat() if number and number.aging_until else None,
        "last_disconnected_on": (
            number.last_disconnected_on.isoformat()
            if number and number.last_disconnected_on
            else None
        ),
    }


@router.get("/outbox/dead", tags=["operations"])
def dead_letters(
    session: SessionDep,
    actor: Operations,
    status: Literal["dead", "uncertain"] = "dead",
) -> dict[str, Any]:
    """Steps given up on: `dead` ones failed, `uncertain` ones may or may not have reached
    their gateway (check with the recipient before retrying: a retry sends again)."""
    rows = session.execute(
        select(models.OutboxRow)
        .where(models.OutboxRow.status == status)
        .order_by(models.OutboxRow.id)
    ).scalars()
    items = [
        {
            "id": r.id,
            "step": r.step,
            "key": r.idempotency_key,
            "status": r.status,
            "attempts": r.attempts,
            "last_error": r.last_error,
        }
        for r in rows
    ]
    return {"items": items, "count": len(items)}


@router.post("/outbox/{row_id}/retry", tags=["operations"])
def retry_dead_letter(
    row_id: int, session: SessionDep, deps: DepsDep, actor: Operations
) -> dict[str, Any]:
    operations.retry_dead_letter(session, deps, actor, row_id)
    session.commit()
    return {"id": row_id, "status": "pending"}


camara = APIRouter(prefix="/number-recycling/v0.2", tags=["CAMARA number recycling"])


@camara.post("/check", response_model=NumberRecyclingOut)
def check_number_recycling(
    body: NumberRecyclingIn, session: SessionDep, actor: RecyclingChecker
) -> NumberRecyclingOut:
    """True when the number was disconnected (its subscriber changed) on or after the date."""
    if body.phoneNumber is None:
        raise InvalidInput(
            "phoneNumber is required with a two-legged token", code="MISSING_IDENTIFIER"
        )
    return NumberRecyclingOut(
        phoneNumberRecycled=numbers.recycled_since(session, body.phoneNumber, body.specifiedDate)
    )
