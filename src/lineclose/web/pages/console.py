"""The staff console: find a line, verify the caller, submit on their behalf, review, operate.

Rules:
- Staff sign in by pasting their API token; it is kept only in an HttpOnly cookie.
- Search takes an MSISDN, ICCID, reference or ID number. An ID number is looked up by its
  keyed hash (the vault's blind index) and is never shown back in clear.
- What a staff member did is recorded with the channel they chose (hotline or store) and the
  identity evidence they checked; the services write history and audit.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain.facts import IdentityMethod
from lineclose.domain.identifiers import (
    InvalidIdentifier,
    mask_middle,
    mask_msisdn,
    normalize_iccid,
    normalize_id_number,
)
from lineclose.domain.states import RequestState
from lineclose.errors import Forbidden, InvalidInput, LinecloseError, NotFound, Unauthenticated
from lineclose.services import closure, identity, operations, precheck
from lineclose.services.closure import RejectionReason
from lineclose.services.context import Actor, Channel, Deps, Role
from lineclose.services.identity import IdentityEvidence
from lineclose.services.lines import (
    ensure_can_see_line,
    line_by_msisdn,
    local_today,
    parse_msisdn,
    profile_of,
)
from lineclose.services.views import eligibility_view, quote_view
from lineclose.web.api.deps import DepsDep, SessionDep
from lineclose.web.api.request_view import request_view
from lineclose.web.pages.common import (
    STAFF_COOKIE,
    Page,
    checklist_choices,
    closure_input,
    page,
)

router = APIRouter(prefix="/console", include_in_schema=False)

FormStr = Annotated[str, Form()]
STAFF_CHANNELS = {"hotline": Channel.HOTLINE, "store": Channel.STORE}
EVIDENCE_METHODS = ("service_password", "id_number", "id_document_seen")
# What the agent looked at, recorded with the reset; the label is the catalogue msgid.
DOCUMENT_KINDS = {
    "resident_id_card": "Resident ID card",
    "passport": "Passport",
    "driving_licence": "Driving licence",
    "residence_permit": "Residence permit",
}
EMPTY_RESET: dict[str, Any] = {"document_seen": False, "document_kind": ""}


def _staff(session: Session, deps: Deps, request: Request, channel: Channel) -> Actor:
    token = request.cookies.get(STAFF_COOKIE, "")
    if not token:
        raise Unauthenticated("sign in with your staff token")
    actor = identity.actor_from_token(session, deps, token, channel)
    if not actor.is_staff:
        raise Unauthenticated("sign in with your staff token")
    return actor


def _signed_in(
    session: Session, deps: Deps, request: Request, channel: Channel = Channel.HOTLINE
) -> tuple[Actor, Page] | Response:
    try:
        actor = _staff(session, deps, request, channel)
    except Unauthenticated:
        view = page(request)
        view.set_cookie(STAFF_COOKIE, "")
        return view.redirect("/console")
    return actor, page(request, None, request.cookies.get(STAFF_COOKIE, ""))


def _base(actor: Actor) -> dict[str, Any]:
    return {"staff": {"name": actor.ident, "role": actor.role.value}}


# --------------------------------------------------------------------------- sign in


@router.get("")
def sign_in_form(request: Request, session: SessionDep, deps: DepsDep) -> Response:
    if request.cookies.get(STAFF_COOKIE):
        try:
            _staff(session, deps, request, Channel.HOTLINE)
            return page(request).redirect("/console/queue")
        except Unauthenticated:
            pass
    return page(request).render("console/sign_in.html", {"error": None})


@router.post("/sign-in")
def sign_in(
    request: Request, session: SessionDep, deps: DepsDep, token: FormStr = "", csrf: FormStr = ""
) -> Response:
    view = page(request)
    try:
        view.check_csrf(csrf)
        actor = identity.actor_from_token(session, deps, token.strip(), Channel.HOTLINE)
        if not actor.is_staff:
            raise Unauthenticated("not a staff token", code="staff_token_invalid")
    except Unauthenticated:
        return view.render(
            "console/sign_in.html",
            {"error": view.t("This staff token is unknown or revoked.")},
            401,
        )
    except LinecloseError as exc:
        return view.render("console/sign_in.html", {"error": view.error_text(exc)}, exc.status)
    view.set_cookie(STAFF_COOKIE, token.strip(), 12 * 3600)
    return view.redirect("/console/queue")


@router.post("/sign-out")
def sign_out(request: Request, csrf: FormStr = "") -> Response:
    view = page(request, session_token=request.cookies.get(STAFF_COOKIE, ""))
    try:
        view.check_csrf(csrf)
    except LinecloseError:
        return view.redirect("/console/queue")
    view.set_cookie(STAFF_COOKIE, "")
    return view.redirect("/console")


# --------------------------------------------------------------------------- queue


def _queue_items(session: Session, deps: Deps, actor: Actor, query: Any) -> list[dict[str, Any]]:
    if actor.operator_id is not None:
        query = query.where(models.ClosureRequest.operator_id == actor.operator_id)
    items = []
    for row in session.execute(query.limit(200)).scalars():
        today = local_today(profile_of(row.operator), deps.clock.now())
        shown = request_view(session, row, today)
        shown["operator"] = row.operator.name
        shown["currency"] = row.line.currency
        items.append(shown)
    return items


@router.get("/queue")
def queue(request: Request, session: SessionDep, deps: DepsDep, overdue: str = "") -> Response:
    """Requests under review, the earliest due date first; overdue ones are marked."""
    signed = _signed_in(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    items = _queue_items(
        session,
        deps,
        actor,
        select(models.ClosureRequest)
        .where(models.ClosureRequest.status == RequestState.UNDER_REVIEW.value)
        .order_by(models.ClosureRequest.review_due_on, models.ClosureRequest.id),
    )
    if overdue == "1":
        items = [i for i in items if i["overdue"]]
    return view.render(
        "console/queue.html",
        {**_base(actor), "items": items, "only_overdue": overdue == "1", "title": "Review queue"},
    )


@router.get("/escalations")
def escalations(request: Request, session: SessionDep, deps: DepsDep) -> Response:
    signed = _signed_in(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    items = _queue_items(
        session,
        deps,
        actor,
        select(models.ClosureRequest)
        .where(
            models.ClosureRequest.escalated_at.is_not(None),
            models.ClosureRequest.status == RequestState.UNDER_REVIEW.value,
        )
        .order_by(models.ClosureRequest.review_due_on),
    )
    return view.render(
        "console/queue.html",
        {**_base(actor), "items": items, "only_overdue": False, "title": "Escalations"},
    )


# --------------------------------------------------------------------------- search


def search_lines(session: Session, deps: Deps, actor: Actor, text: str) -> list[models.Line]:
    """Lines matching an MSISDN, ICCID, request reference or the holder's ID number."""
    query = text.strip()
    found: dict[int, models.Line] = {}
    if not query:
        return []
    if query.upper().startswith("LC-"):
        row = session.execute(
            select(models.ClosureRequest).where(models.ClosureRequest.reference == query.upper())
        ).scalar_one_or_none()
        if row is not None:
            found[row.line.id] = row.line
    compact = "".join(query.split())
    if compact.isdigit() and compact.startswith("89"):
        try:
            iccid = normalize_iccid(compact)
            line = session.execute(
                select(models.Line).where(models.Line.iccid == iccid)
            ).scalar_one_or_none()
            if line is not None:
                found[line.id] = line
        except InvalidIdentifier:
            pass
    try:
        msisdn = parse_msisdn(compact)
        line = line_by_msisdn(session, msisdn)
        if line is not None:
            found[line.id] = line
    except InvalidInput:
        pass
    today = deps.clock.now().date()
    for scheme in ("cn_ric", "generic"):
        try:
            normalized = normalize_id_number(compact, scheme, today)
        except InvalidIdentifier:
            continue
        digest = deps.vault.blind_index(normalized.value)
        for line in session.execute(
            select(models.Line)
            .join(models.Subscriber, models.Subscriber.id == models.Line.subscriber_id)
            .where(models.Subscriber.id_number_index == digest)
            .order_by(models.Line.id)
        ).scalars():
            found[line.id] = line
    visible = []
    for line in found.values():
        try:
            ensure_can_see_line(actor, line)
        except Forbidden:
            continue
        visible.append(line)
    return visible


def _line_summary(session: Session, line: models.Line) -> dict[str, Any]:
    latest = session.execute(
        select(models.ClosureRequest)
        .where(models.ClosureRequest.line_id == line.id)
        .order_by(models.ClosureRequest.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return {
        "id": line.id,
        "msisdn": mask_msisdn(line.msisdn),
        "iccid": mask_middle(line.iccid, 6, 4),
        "holder_id": line.subscriber.id_number_masked or "",
        "kind": line.kind,
        "payment": line.payment,
        "status": line.status,
        "operator": line.operator.name,
        "fleet": line.fleet_account,
        "lost": line.lost_reported,
        "request": {"reference": latest.reference, "status": latest.status} if latest else None,
    }


@router.get("/search")
def search_form(request: Request, session: SessionDep, deps: DepsDep) -> Response:
    signed = _signed_in(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    return view.render("console/search.html", {**_base(actor), "lines": [], "searched": False})


@router.post("/search")
def search(
    request: Request, session: SessionDep, deps: DepsDep, q: FormStr = "", csrf: FormStr = ""
) -> Response:
    """A POST, and the query is not echoed: an ID number must not land in URLs, logs or pages."""
    signed = _signed_in(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    try:
        view.check_csrf(csrf)
    except LinecloseError as exc:
        return view.render(
            "console/search.html",
            {**_base(actor), "lines": [], "searched": False, "error": view.error_text(exc)},
        )
    lines = [_line_summary(session, line) for line in search_lines(session, deps, actor, q)]
    return view.render(
        "console/search.html", {**_base(actor), "lines": lines, "searched": bool(q.strip())}
    )


# --------------------------------------------------------------------------- a line


def _line(session: Session, actor: Actor, line_id: int) -> models.Line:
    line = session.get(models.Line, line_id)
    if line is None:
        raise NotFound("no such line", code="unknown_line")
    ensure_can_see_line(actor, line)
    return line


def _evidence(method: str, value: str) -> tuple[IdentityEvidence, ...]:
    if method not in EVIDENCE_METHODS:
        return ()
    return (IdentityEvidence(IdentityMethod(method), value.strip() or None),)


def line_context(
    session: Session,
    deps: Deps,
    actor: Actor,
    line: models.Line,
    form: dict[str, Any],
    evidence: tuple[IdentityEvidence, ...] = (),
) -> dict[str, Any]:
    """The line as staff see it, with the precheck for the choices in the form."""
    profile = profile_of(line.operator)
    today = local_today(profile, deps.clock.now())
    contract = session.execute(
        select(models.Contract).where(models.Contract.line_id == line.id)
    ).scalar_one_or_none()
    requested: date | None = None
    if form.get("term_end") and contract is not None and contract.commitment_end > today:
        requested = contract.commitment_end
    result = precheck.precheck(
        session,
        deps,
        actor,
        line.msisdn,
        requested_date=requested,
        accept_etf=bool(form.get("accept_etf")) and requested is None,
        acknowledged_bindings=tuple(form.get("ack", [])),
        identity=evidence,
    )
    bindings = session.execute(
        select(models.Binding).where(models.Binding.line_id == line.id).order_by(models.Binding.id)
    ).scalars()
    bills = session.execute(
        select(models.Bill)
        .where(models.Bill.line_id == line.id, models.Bill.paid_at.is_(None))
        .order_by(models.Bill.due_on)
    ).scalars()
    return {
        **_base(actor),
        "line": _line_summary(session, line),
        "currency": line.currency,
        "result": eligibility_view(result),
        "bindings": [
            {"id": b.id, "service": b.service, "category": b.category, "unbound_on": b.unbound_on}
            for b in bindings
        ],
        "bills": [{"amount_minor": b.amount_minor, "due_on": b.due_on} for b in bills],
        "contract": ({"commitment_end": contract.commitment_end} if contract is not None else None),
        "form": form,
        "methods": EVIDENCE_METHODS,
        "reasons": [r.value for r in RejectionReason],
        "document_kinds": DOCUMENT_KINDS,
    }


def _line_form(
    channel: str,
    method: str,
    refund_account: str,
    alternate_contact: str,
    accept_etf: str,
    term_end: str,
    ack: list[str] | None,
) -> dict[str, Any]:
    return {
        "channel": channel if channel in STAFF_CHANNELS else "hotline",
        "method": method,
        "refund_account": refund_account,
        "alternate_contact": alternate_contact,
        **checklist_choices(accept_etf, term_end, ack),
    }


EMPTY_FORM = _line_form("hotline", "", "", "", "", "", None)


@router.get("/lines/{line_id}")
def line_page(line_id: int, request: Request, session: SessionDep, deps: DepsDep) -> Response:
    signed = _signed_in(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    try:
        line = _line(session, actor, line_id)
        context = line_context(session, deps, actor, line, dict(EMPTY_FORM))
    except LinecloseError as exc:
        return view.render("error.html", {**_base(actor), "message": view.error_text(exc)})
    return view.render(
        "console/line.html",
        {**context, "error": None, "verified": None, "reset": dict(EMPTY_RESET)},
    )


@router.post("/lines/{line_id}")
def line_action(
    line_id: int,
    request: Request,
    session: SessionDep,
    deps: DepsDep,
    csrf: FormStr = "",
    action: FormStr = "check",
    channel: FormStr = "hotline",
    method: FormStr = "",
    value: FormStr = "",
    refund_account: FormStr = "",
    alternate_contact: FormStr = "",
    accept_etf: FormStr = "",
    term_end: FormStr = "",
    ack: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """`check` verifies the caller and reruns the precheck; `submit` files the request for them."""
    form = _line_form(channel, method, refund_account, alternate_contact, accept_etf, term_end, ack)
    signed = _signed_in(session, deps, request, STAFF_CHANNELS[form["channel"]])
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    evidence = _evidence(method, value)
    try:
        view.check_csrf(csrf)
        line = _line(session, actor, line_id)
        if action == "submit":
            submitted = closure.submit(
                session,
                deps,
                actor,
                line.msisdn,
                closure_input(form, refund_account, alternate_contact, evidence),
            )
            session.commit()
            return view.redirect(f"/console/requests/{submitted.request.reference}")
        context = line_context(session, deps, actor, line, form, evidence)
    except LinecloseError as exc:
        session.rollback()
        return _line_refused(
            session,
            deps,
            actor,
            view,
            line_id,
            form,
            exc,
            error=view.error_text(exc),
            error_field=exc.extra.get("field"),
            verified=None,
            reset=dict(EMPTY_RESET),
        )
    verified = context["result"]["identity_methods"]
    return view.render(
        "console/line.html",
        {**context, "error": None, "verified": verified, "reset": dict(EMPTY_RESET)},
    )


def _line_refused(
    session: Session,
    deps: Deps,
    actor: Actor,
    view: Page,
    line_id: int,
    form: dict[str, Any],
    exc: LinecloseError,
    **shown: Any,
) -> Response:
    """The line page again after a refusal; `shown` places the reason by the form it concerns."""
    try:
        line = _line(session, actor, line_id)
        context = line_context(session, deps, actor, line, form)
    except LinecloseError:
        return view.render("error.html", {**_base(actor), "message": view.error_text(exc)})
    return view.render("console/line.html", {**context, **shown}, exc.status)


@router.post("/lines/{line_id}/password-reset")
def store_password_reset(
    line_id: int,
    request: Request,
    session: SessionDep,
    deps: DepsDep,
    csrf: FormStr = "",
    id_document_seen: FormStr = "",
    document_kind: FormStr = "",
    new_password: FormStr = "",
    new_password_again: FormStr = "",
) -> Response:
    """The store path for a forgotten service password, the only one for a line reported lost:
    the agent records that they looked at the holder's ID document; the holder types the new
    password twice. Passwords are never shown back."""
    signed = _signed_in(session, deps, request, Channel.STORE)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    reset = {"document_seen": id_document_seen == "1", "document_kind": document_kind}
    try:
        view.check_csrf(csrf)
        line = _line(session, actor, line_id)
        if new_password != new_password_again:
            raise InvalidInput(
                "the new passwords differ", code="passwords_differ", field="new_password"
            )
        identity.reset_password_in_store(
            session,
            deps,
            actor,
            line.msisdn,
            id_document_seen == "1",
            document_kind,
            new_password,
        )
        session.commit()
    except LinecloseError as exc:
        session.rollback()
        return _line_refused(
            session,
            deps,
            actor,
            view,
            line_id,
            dict(EMPTY_FORM),
            exc,
            error=None,
            verified=None,
            reset={**reset, "error": view.error_text(exc), "error_field": exc.extra.get("field")},
        )
    context = line_context(session, deps, actor, line, dict(EMPTY_FORM))
    return view.render(
        "console/line.html",
        {
            **context,
            "error": None,
            "verified": None,
            "reset": dict(EMPTY_RESET),
            "notice": view.t(
                "The service password is reset. The holder's sessions are signed out."
            ),
        },
    )


# --------------------------------------------------------------------------- a request


def request_context(
    session: Session, deps: Deps, actor: Actor, row: models.ClosureRequest
) -> dict[str, Any]:
    profile = profile_of(row.operator)
    today = local_today(profile, deps.clock.now())
    shown = request_view(session, row, today)
    current = None
    approval = None
    if row.status in (RequestState.UNDER_REVIEW.value, RequestState.NEEDS_ACTION.value):
        result = closure.evaluate_request(session, deps, row)
        current = {
            "blockers": [b.code.value for b in result.blockers],
            "quote": quote_view(result.quote),
        }
        if row.status == RequestState.UNDER_REVIEW.value:
            first = closure.first_approvals(session, row)
            approval = {
                "needs_second": closure.needs_second_approver(row, result),
                "threshold_minor": profile.second_approval_refund_minor.value,
                "first_by": [staff_label(label) for label in first],
                "mine": actor.label in first,
            }
    audit = session.execute(
        select(models.AuditEntry)
        .where(
            models.AuditEntry.entity == "closure_request",
            models.AuditEntry.entity_id == row.reference,
        )
        .order_by(models.AuditEntry.id)
    ).scalars()
    return {
        **_base(actor),
        "req": shown,
        "line": _line_summary(session, row.line),
        "currency": row.line.currency,
        "timezone": profile.timezone,
        "current": current,
        "audit": [
            {
                "at": a.at,
                "actor": a.actor,
                "action": a.action,
                "details": ", ".join(
                    f"{k}={v}" for k, v in sorted(a.details.items()) if k != "reasons"
                ),
            }
            for a in audit
        ],
        "reasons": [r.value for r in RejectionReason],
        "can_decide": row.status == RequestState.UNDER_REVIEW.value,
        "approval": approval,
        "assigned_to": row.assigned_to,
        "can_assign": (
            actor.role in (Role.SUPERVISOR, Role.ADMIN)
            and row.status == RequestState.UNDER_REVIEW.value
            and row.escalated_at is not None
        ),
    }


def staff_label(label: str) -> str:
    """A staff member as other staff see them on a request: role and a masked name."""
    role, _, name = label.partition(":")
    return f"{role}:{mask_middle(name, 2, 1)}" if name else mask_middle(role, 2, 1)


@router.get("/requests/{reference}")
def request_page(
    reference: str, request: Request, session: SessionDep, deps: DepsDep, done: str = ""
) -> Response:
    signed = _signed_in(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    try:
        row = closure.get_request(session, reference)
        closure.ensure_can_act(actor, row)
    except LinecloseError as exc:
        return view.render("error.html", {**_base(actor), "message": view.error_text(exc)})
    notice = {
        "approved": "The request is approved.",
        "rejected": "The request is rejected.",
        "first_approval": (
            "Your approval is recorded. This refund needs a second approval by another reviewer."
        ),
        "assigned": "The review is assigned.",
    }
    return view.render(
        "console/request.html",
        {
            **request_context(session, deps, actor, row),
            "error": None,
            "notice": view.t(notice[done]) if done in notice else None,
            "form": {},
        },
    )


@router.post("/requests/{reference}/decide")
def decide(
    reference: str,
    request: Request,
    session: SessionDep,
    deps: DepsDep,
    csrf: FormStr = "",
    decision: FormStr = "",
    note: FormStr = "",
    reason: Annotated[list[str] | None, Form()] = None,
) -> Response:
    signed = _signed_in(session, deps, request, Channel.API)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    codes = [r for r in reason or [] if r in RejectionReason.__members__]
    try:
        view.check_csrf(csrf)
        if decision == "approve":
            closure.approve(session, deps, actor, reference, note.strip())
        elif decision == "reject":
            closure.reject(
                session,
                deps,
                actor,
                reference,
                [closure.ReviewReason(RejectionReason(c), note) for c in codes],
            )
        else:
            raise InvalidInput("choose approve or reject", code="decision_required")
        session.commit()
    except LinecloseError as exc:
        session.rollback()
        return _request_refused(
            session, deps, actor, view, reference, exc, form={"note": note, "reasons": codes}
        )
    done = "approved" if decision == "approve" else "rejected"
    if decision == "approve" and _still_under_review(session, reference):
        done = "first_approval"
    return view.redirect(f"/console/requests/{reference.strip().upper()}?done={done}")


def _request_refused(
    session: Session,
    deps: Deps,
    actor: Actor,
    view: Page,
    reference: str,
    exc: LinecloseError,
    **shown: Any,
) -> Response:
    """The request page again with the reason for the refusal and what the reviewer typed."""
    try:
        row = closure.get_request(session, reference)
        closure.ensure_can_act(actor, row)
    except LinecloseError:
        return view.render("error.html", {**_base(actor), "message": view.error_text(exc)})
    return view.render(
        "console/request.html",
        {
            **request_context(session, deps, actor, row),
            "error": view.error_text(exc),
            "notice": None,
            **shown,
        },
        exc.status,
    )


def _still_under_review(session: Session, reference: str) -> bool:
    """An approval that leaves the request under review was a first of two approvals."""
    return closure.get_request(session, reference).status == RequestState.UNDER_REVIEW.value


@router.post("/requests/{reference}/assign")
def assign(
    reference: str,
    request: Request,
    session: SessionDep,
    deps: DepsDep,
    csrf: FormStr = "",
    reviewer: FormStr = "",
) -> Response:
    """A supervisor hands an escalated review to a named reviewer."""
    signed = _signed_in(session, deps, request, Channel.API)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    try:
        view.check_csrf(csrf)
        closure.assign(session, deps, actor, reference, reviewer)
        session.commit()
    except LinecloseError as exc:
        session.rollback()
        return _request_refused(
            session,
            deps,
            actor,
            view,
            reference,
            exc,
            error_field=exc.extra.get("field"),
            form={"reviewer": reviewer},
        )
    return view.redirect(f"/console/requests/{reference.strip().upper()}?done=assigned")


# --------------------------------------------------------------------------- outbox


def _dead_letters(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(models.OutboxRow)
        .where(models.OutboxRow.status == "dead")
        .order_by(models.OutboxRow.id)
    ).scalars()
    return [
        {
            "id": r.id,
            "step": r.step,
            "key": r.idempotency_key,
            "attempts": r.attempts,
            "last_error": r.last_error or "",
            "created_at": r.created_at,
        }
        for r in rows
    ]


@router.get("/outbox")
def outbox_page(request: Request, session: SessionDep, deps: DepsDep) -> Response:
    signed = _signed_in(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    return view.render(
        "console/outbox.html", {**_base(actor), "rows": _dead_letters(session), "error": None}
    )


@router.post("/outbox/{row_id}/retry")
def retry(
    row_id: int, request: Request, session: SessionDep, deps: DepsDep, csrf: FormStr = ""
) -> Response:
    signed = _signed_in(session, deps, request, Channel.API)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    try:
        view.check_csrf(csrf)
        operations.retry_dead_letter(session, deps, actor, row_id)
        session.commit()
    except LinecloseError as exc:
        session.rollback()
        return view.render(
            "console/outbox.html",
            {**_base(actor), "rows": _dead_letters(session), "error": view.error_text(exc)},
            exc.status,
        )
    view_notice = view.t("The step is queued again.")
    return view.render(
        "console/outbox.html",
        {**_base(actor), "rows": _dead_letters(session), "error": None, "notice": view_notice},
    )
