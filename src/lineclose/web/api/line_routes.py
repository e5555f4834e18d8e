"""A line: its bills and bound services, the precheck, paying and unbinding, its number."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response

from lineclose.domain.identifiers import mask_msisdn
from lineclose.services import ledger, precheck
from lineclose.services import limiter as ratelimits
from lineclose.services import port_out as port_out_service
from lineclose.services.access import Action
from lineclose.services.context import Actor
from lineclose.services.identity import IdentityEvidence
from lineclose.services.language import stored_language
from lineclose.services.reads.lines import line_overview_by_number
from lineclose.services.reads.lines import number_state as read_number_state
from lineclose.services.reads.models import NumberState
from lineclose.services.unit_of_work import reads_only
from lineclose.services.views import eligibility_view
from lineclose.web.api.bounds import DbIdPath
from lineclose.web.api.deps import DepsDep, ReadSessionDep, SessionDep, limited, may
from lineclose.web.api.language import api_locale, localized_eligibility
from lineclose.web.api.schemas import (
    BillOut,
    BindingOut,
    EligibilityOut,
    IdentityIn,
    LineOut,
    PayIn,
    PaymentOut,
    PortedOut,
    PortOutIn,
    PrecheckIn,
    UnboundOut,
    problems,
)

router = APIRouter(prefix="/api/v1")

LineViewer = Annotated[Actor, may(Action.VIEW_LINE)]
FrontDesk = Annotated[Actor, may(Action.FIX_LINE)]
Prechecker = Annotated[Actor, may(Action.PRECHECK)]
PortingDesk = Annotated[Actor, may(Action.PORT_OUT)]
NumberDesk = Annotated[Actor, may(Action.NUMBER_STATE)]


def evidence(items: list[IdentityIn]) -> tuple[IdentityEvidence, ...]:
    return tuple(IdentityEvidence(i.method, i.value) for i in items)


@router.get(
    "/lines/{msisdn}",
    tags=["lines"],
    response_model=LineOut,
    responses=problems(401, 403, 404, 422),
)
def get_line(msisdn: str, session: ReadSessionDep, deps: DepsDep, actor: LineViewer) -> LineOut:
    line = line_overview_by_number(session, deps, actor, msisdn)
    return LineOut(
        msisdn=line.summary.msisdn,
        kind=line.summary.kind,
        payment=line.summary.payment,
        status=line.summary.status,
        currency=line.summary.currency,
        operator=line.summary.operator,
        profile=line.profile,
        bills=[
            BillOut(
                id=b.id,
                kind=b.kind,
                amount_minor=b.amount_minor,
                due_on=b.due_on.isoformat(),
                paid=b.paid,
            )
            for b in line.bills
        ],
        bindings=[
            BindingOut(
                id=b.id,
                service=b.service,
                category=b.category,
                unbound_on=b.unbound_on.isoformat() if b.unbound_on else None,
            )
            for b in line.bindings
        ],
    )


@router.post(
    "/precheck",
    tags=["closure"],
    response_model=EligibilityOut,
    responses=problems(401, 403, 404, 422, 429),
    dependencies=[limited(ratelimits.precheck_limit, "caller")],
)
def run_precheck(
    body: PrecheckIn, request: Request, session: SessionDep, deps: DepsDep, actor: Prechecker
) -> EligibilityOut:
    """Every blocker and warning at once, each with its remedy, and the quote. Changes nothing."""
    reads_only(session)
    result = precheck.precheck(
        session,
        deps,
        actor,
        body.msisdn,
        requested_date=body.requested_date,
        accept_etf=body.accept_etf,
        acknowledged_bindings=tuple(body.acknowledged_bindings),
        identity=evidence(body.identity),
    )
    locale = api_locale(request, stored_language(session, actor))
    session.rollback()  # nothing to keep: the reads end here, on this thread
    return EligibilityOut.model_validate(localized_eligibility(eligibility_view(result), locale))


@router.post(
    "/lines/{msisdn}/bills/{bill_id}/payments",
    status_code=201,
    tags=["ledger"],
    response_model=PaymentOut,
    responses={
        200: {"model": PaymentOut, "description": "replayed"},
        **problems(401, 403, 404, 409, 422),
    },
)
def pay_bill(
    msisdn: str,
    bill_id: DbIdPath,
    body: PayIn,
    session: SessionDep,
    deps: DepsDep,
    actor: FrontDesk,
    response: Response,
) -> PaymentOut:
    """Pay a bill in full; the same reference again answers 200 with the first payment."""
    paid = ledger.pay_bill(session, deps, actor, msisdn, bill_id, body.amount_minor, body.reference)
    session.commit()
    if paid.replayed:
        response.status_code = 200
    return PaymentOut(
        bill_id=paid.bill_id,
        amount_minor=paid.amount_minor,
        currency=paid.currency,
        reference=paid.reference,
        paid=True,
    )


@router.post(
    "/lines/{msisdn}/bindings/{binding_id}/unbind",
    tags=["ledger"],
    response_model=UnboundOut,
    responses=problems(401, 403, 404, 422),
)
def unbind(
    msisdn: str, binding_id: DbIdPath, session: SessionDep, deps: DepsDep, actor: FrontDesk
) -> UnboundOut:
    binding = ledger.unbind(session, deps, actor, msisdn, binding_id)
    session.commit()
    return UnboundOut(
        id=binding.id,
        service=binding.service,
        unbound_on=binding.unbound_on.isoformat() if binding.unbound_on else None,
    )


@router.post(
    "/lines/{msisdn}/port-out",
    tags=["numbers"],
    response_model=PortedOut,
    responses=problems(401, 403, 404, 409, 422),
)
def port_out(
    msisdn: str, body: PortOutIn, session: SessionDep, deps: DepsDep, actor: PortingDesk
) -> PortedOut:
    """Record a completed port-out: the number left with its subscriber and never ages here."""
    number = port_out_service.complete_port_out(session, deps, actor, msisdn, body.order_reference)
    session.commit()
    return PortedOut(msisdn=mask_msisdn(number.msisdn), state=number.state)


@router.get(
    "/numbers/{msisdn}",
    tags=["numbers"],
    response_model=NumberState,
    responses=problems(401, 403, 404, 422),
)
def number_state(msisdn: str, session: ReadSessionDep, actor: NumberDesk) -> NumberState:
    return read_number_state(session, actor, msisdn)
