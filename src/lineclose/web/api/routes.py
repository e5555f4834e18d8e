"""The JSON API under /api/v1: closure requests, review, certificates and the outbox.

Identity routes live in `auth_routes`, lines and numbers in `line_routes`; `router` includes
them so the app mounts one router.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from lineclose.domain.states import RequestState
from lineclose.errors import Forbidden, InvalidInput
from lineclose.services import closure, operations
from lineclose.services import limiter as ratelimits
from lineclose.services.access import Action
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.reads import certificates as certificate_reads
from lineclose.services.reads import outbox as outbox_reads
from lineclose.services.reads import requests as request_reads
from lineclose.services.reads.models import DeadLetter, RequestView
from lineclose.web.api import auth_routes, line_routes
from lineclose.web.api.bounds import DbIdPath
from lineclose.web.api.deps import DepsDep, ReadSessionDep, SessionDep, limited, may, public
from lineclose.web.api.line_routes import evidence
from lineclose.web.api.schemas import (
    AssignIn,
    ClosureChanges,
    NoteIn,
    RejectIn,
    RetriedOut,
    SubmitIn,
    problems,
)

__all__ = ["router"]

router = APIRouter()
router.include_router(auth_routes.router)
router.include_router(line_routes.router)
api = APIRouter(prefix="/api/v1")

Reader = Annotated[Actor, may(Action.READ_REQUEST)]
LineViewer = Annotated[Actor, may(Action.VIEW_LINE)]
Submitter = Annotated[Actor, may(Action.SUBMIT)]
Decider = Annotated[Actor, may(Action.DECIDE)]
QueueReader = Annotated[Actor, may(Action.REVIEW_QUEUE)]
Supervisor = Annotated[Actor, may(Action.ESCALATIONS)]
Assigner = Annotated[Actor, may(Action.ASSIGN)]
Operations = Annotated[Actor, may(Action.OUTBOX)]

STAFF_CHANNELS = {Channel.HOTLINE, Channel.STORE, Channel.BULK, Channel.API}
CHANGED = problems(401, 403, 404, 409, 422)


class RequestList(BaseModel):
    items: list[RequestView]
    count: int


class DeadLetterList(BaseModel):
    items: list[DeadLetter]
    count: int


class CertificateCheck(BaseModel):
    valid: bool
    verification_code: str
    reference: str
    operator: str
    masked_msisdn: str
    closed_at: str
    issued_at: str


def _changes(body: ClosureChanges) -> closure.ClosureInput:
    return closure.ClosureInput(
        refund_account=body.refund_account,
        alternate_contact=body.alternate_contact,
        acknowledged_bindings=tuple(body.acknowledged_bindings),
        accept_etf=body.accept_etf,
        requested_date=body.requested_date,
        schedule_at_term_end=body.schedule_at_term_end,
        identity=evidence(body.identity),
    )


def _shown(
    session: SessionDep,
    deps: DepsDep,
    actor: Actor,
    reference: str,
    action: Action = Action.READ_REQUEST,
) -> RequestView:
    return request_reads.request_by_reference(session, deps, actor, reference, action)


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


@api.post(
    "/closure-requests",
    status_code=201,
    tags=["closure"],
    response_model=RequestView,
    responses={200: {"model": RequestView, "description": "replayed"}, **CHANGED},
)
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
    view = request_reads.request_view(session, deps, submitted.request, submitted.events)
    return JSONResponse(
        view.model_dump(mode="json", by_alias=True),
        status_code=201 if submitted.created else 200,
        headers={"Location": f"/api/v1/closure-requests/{submitted.request.reference}"},
    )


@api.get(
    "/closure-requests/{reference}",
    tags=["closure"],
    response_model=RequestView,
    responses=problems(401, 403, 404),
)
def get_request(
    reference: str, session: ReadSessionDep, deps: DepsDep, actor: Reader
) -> RequestView:
    return _shown(session, deps, actor, reference)


@api.post(
    "/closure-requests/{reference}/resubmit",
    tags=["closure"],
    response_model=RequestView,
    responses=CHANGED,
)
def resubmit(
    reference: str, body: ClosureChanges, session: SessionDep, deps: DepsDep, actor: Submitter
) -> RequestView:
    closure.resubmit(session, deps, actor, reference, _changes(body))
    session.commit()
    return _shown(session, deps, actor, reference, Action.SUBMIT)


@api.post(
    "/closure-requests/{reference}/withdraw",
    tags=["closure"],
    response_model=RequestView,
    responses=CHANGED,
)
def withdraw(
    reference: str, body: NoteIn, session: SessionDep, deps: DepsDep, actor: Submitter
) -> RequestView:
    closure.withdraw(session, deps, actor, reference, body.note)
    session.commit()
    return _shown(session, deps, actor, reference, Action.SUBMIT)


@api.post(
    "/closure-requests/{reference}/approve",
    tags=["review"],
    response_model=RequestView,
    responses=CHANGED,
)
def approve(
    reference: str, body: NoteIn, session: SessionDep, deps: DepsDep, actor: Decider
) -> RequestView:
    """Approve; a refund above the profile's threshold needs two different approvers: the first
    approval is recorded and the request stays under review until the second."""
    closure.approve(session, deps, actor, reference, body.note)
    session.commit()
    return _shown(session, deps, actor, reference, Action.DECIDE)


@api.post(
    "/closure-requests/{reference}/reject",
    tags=["review"],
    response_model=RequestView,
    responses=CHANGED,
)
def reject(
    reference: str, body: RejectIn, session: SessionDep, deps: DepsDep, actor: Decider
) -> RequestView:
    reasons = [closure.ReviewReason(r.code, r.note) for r in body.reasons]
    closure.reject(session, deps, actor, reference, reasons)
    session.commit()
    return _shown(session, deps, actor, reference, Action.DECIDE)


@api.get(
    "/closure-requests",
    tags=["review"],
    response_model=RequestList,
    responses=problems(401, 403, 422),
)
def review_queue(
    session: ReadSessionDep,
    deps: DepsDep,
    actor: QueueReader,
    status: RequestState | None = Query(default=RequestState.UNDER_REVIEW),
    overdue: bool = False,
    limit: int = Query(default=100, ge=1, le=500),
) -> RequestList:
    """The review queue, oldest due date first; `overdue=true` lists only late ones."""
    entries = request_reads.review_queue(session, deps, actor, status, overdue, limit)
    return RequestList(items=[e.request for e in entries], count=len(entries))


@api.get("/escalations", tags=["review"], response_model=RequestList, responses=problems(401, 403))
def escalations(session: ReadSessionDep, deps: DepsDep, actor: Supervisor) -> RequestList:
    """Overdue reviews, for supervisors to reassign or decide."""
    entries = request_reads.escalations(session, deps, actor)
    return RequestList(items=[e.request for e in entries], count=len(entries))


@api.post(
    "/closure-requests/{reference}/assign",
    tags=["review"],
    response_model=RequestView,
    responses=CHANGED,
)
def assign(
    reference: str, body: AssignIn, session: SessionDep, deps: DepsDep, actor: Assigner
) -> RequestView:
    """Hand an escalated review to a named reviewer."""
    closure.assign(session, deps, actor, reference, body.reviewer)
    session.commit()
    return _shown(session, deps, actor, reference, Action.ASSIGN)


@api.get(
    "/certificates/{code}",
    tags=["certificates"],
    response_model=CertificateCheck,
    responses=problems(404, 429),
    dependencies=[
        public("anyone holding a certificate may check it"),
        limited(ratelimits.certificate_limit),
    ],
)
def verify_certificate(code: str, session: ReadSessionDep) -> dict[str, Any]:
    """Public: confirms a closure certificate without revealing personal data."""
    return certificate_reads.verify_certificate(session, code)


@api.get(
    "/certificates/{code}/pdf",
    tags=["certificates"],
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **problems(401, 403, 404)},
)
def certificate_document(
    code: str, session: ReadSessionDep, deps: DepsDep, actor: LineViewer
) -> Response:
    document = certificate_reads.certificate_by_code(session, deps, actor, code)
    return Response(
        document.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{document.filename}"'},
    )


@api.get(
    "/outbox/dead",
    tags=["operations"],
    response_model=DeadLetterList,
    responses=problems(401, 403, 422),
)
def dead_letters(
    session: ReadSessionDep,
    actor: Operations,
    status: Literal["dead", "uncertain"] = "dead",
) -> DeadLetterList:
    """Steps given up on: `dead` ones failed, `uncertain` ones may or may not have reached
    their gateway (check with the recipient before retrying: a retry sends again). Staff bound
    to an operator see that operator's steps only."""
    items = outbox_reads.dead_letters(session, actor, (status,))
    return DeadLetterList(items=items, count=len(items))


@api.post(
    "/outbox/{row_id}/retry",
    tags=["operations"],
    response_model=RetriedOut,
    responses=problems(401, 403, 404, 409),
)
def retry_dead_letter(
    row_id: DbIdPath, session: SessionDep, deps: DepsDep, actor: Operations
) -> RetriedOut:
    outbox_reads.ensure_can_touch_step(session, actor, row_id)
    operations.retry_dead_letter(session, deps, actor, row_id)
    session.commit()
    return RetriedOut(id=row_id, status="pending")


router.include_router(api)
