"""The sync API: an operator's CRM and billing keep Lineclose current, under integration
tokens with scopes (`lines:write`, `ledger:write`, `holds:write`) or an admin's token.

Every call is idempotent by the source's own key (the number, the bill's id, the payment's
reference, the bound service): repeating it answers `unchanged`. New records answer 201."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from lineclose.errors import InvalidInput
from lineclose.services.access import Action
from lineclose.services.context import Actor
from lineclose.services.data_in import sync
from lineclose.services.data_in.hlr import register_new_lines
from lineclose.web.api.deps import DepsDep, SessionDep, may
from lineclose.web.api.sync_schemas import (
    BalanceIn,
    BillIn,
    BindingIn,
    HoldIn,
    LastUsageIn,
    LiftIn,
    LineIn,
    LostIn,
    PaymentIn,
    SyncOut,
    UsageIn,
    refusals,
)

router = APIRouter(prefix="/api/v1", tags=["sync"])

LinesWriter = Annotated[Actor, may(Action.SYNC_LINES)]
LedgerWriter = Annotated[Actor, may(Action.SYNC_LEDGER)]
HoldsWriter = Annotated[Actor, may(Action.SYNC_HOLDS)]
OperatorQuery = Annotated[
    str | None, Query(description="operator code, for a token not bound to an operator")
]
ERRORS = refusals(
    {
        401: "no or unknown token",
        403: "the token lacks the scope, or acts for another operator",
        404: "unknown line, subscriber, bill, binding or hold",
        409: "number aging, in service or ported out; serial or reference in use",
        422: "a bad value: problem+json names the field",
    }
)


def _done(session: SessionDep, deps: DepsDep, synced: sync.Synced, response: Response) -> SyncOut:
    session.commit()
    register_new_lines(deps, synced.new_lines)
    if synced.outcome == "inserted":
        response.status_code = 201
    return SyncOut(
        kind=synced.kind,
        outcome=synced.outcome,
        changed=synced.changed,
        reevaluated=synced.reevaluated,
    )


def _put(
    session: SessionDep,
    deps: DepsDep,
    actor: Actor,
    operator: str | None,
    kind: str,
    raw: dict[str, Any],
    response: Response,
) -> SyncOut:
    owner = sync.operator_for(session, actor, operator)
    return _done(session, deps, sync.sync(session, deps, actor, owner, kind, raw), response)


@router.put("/lines/{msisdn}", response_model=SyncOut, responses=ERRORS)
def put_line(
    msisdn: str,
    body: LineIn,
    session: SessionDep,
    deps: DepsDep,
    actor: LinesWriter,
    response: Response,
    operator: OperatorQuery = None,
) -> SyncOut:
    """Create or update a subscriber and its line; balance, usage, last usage and contract
    fields are applied when given. A new number must not be aging, in service or ported out."""
    owner = sync.operator_for(session, actor, operator)
    raw = body.model_dump(exclude_none=True)
    synced = sync.put_line(session, deps, actor, owner, msisdn, raw)
    return _done(session, deps, synced, response)


@router.put("/lines/{msisdn}/bills/{bill_id}", response_model=SyncOut, responses=ERRORS)
def put_bill(
    msisdn: str,
    bill_id: str,
    body: BillIn,
    session: SessionDep,
    deps: DepsDep,
    actor: LedgerWriter,
    response: Response,
    operator: OperatorQuery = None,
) -> SyncOut:
    raw = {**body.model_dump(exclude_none=True), "msisdn": msisdn, "bill_id": bill_id}
    return _put(session, deps, actor, operator, "bills", raw, response)


@router.put("/lines/{msisdn}/payments/{reference}", response_model=SyncOut, responses=ERRORS)
def put_payment(
    msisdn: str,
    reference: str,
    body: PaymentIn,
    session: SessionDep,
    deps: DepsDep,
    actor: LedgerWriter,
    response: Response,
    operator: OperatorQuery = None,
) -> SyncOut:
    """Record a payment once; one that pays a bill in full marks it paid."""
    raw = {**body.model_dump(exclude_none=True), "msisdn": msisdn, "reference": reference}
    return _put(session, deps, actor, operator, "payments", raw, response)


@router.put("/lines/{msisdn}/balance", response_model=SyncOut, responses=ERRORS)
def put_balance(
    msisdn: str,
    body: BalanceIn,
    session: SessionDep,
    deps: DepsDep,
    actor: LedgerWriter,
    response: Response,
    operator: OperatorQuery = None,
) -> SyncOut:
    raw = {**body.model_dump(exclude_none=True), "msisdn": msisdn}
    return _put(session, deps, actor, operator, "balances", raw, response)


@router.put("/lines/{msisdn}/unbilled-usage", response_model=SyncOut, responses=ERRORS)
def put_unbilled_usage(
    msisdn: str,
    body: UsageIn,
    session: SessionDep,
    deps: DepsDep,
    actor: LedgerWriter,
    response: Response,
    operator: OperatorQuery = None,
) -> SyncOut:
    raw = {**body.model_dump(exclude_none=True), "msisdn": msisdn}
    return _put(session, deps, actor, operator, "unbilled_usage", raw, response)


@router.put("/lines/{msisdn}/last-usage", response_model=SyncOut, responses=ERRORS)
def put_last_usage(
    msisdn: str,
    body: LastUsageIn,
    session: SessionDep,
    deps: DepsDep,
    actor: LinesWriter,
    response: Response,
    operator: OperatorQuery = None,
) -> SyncOut:
    raw = {**body.model_dump(exclude_none=True), "msisdn": msisdn}
    return _put(session, deps, actor, operator, "last_usage", raw, response)


@router.put("/lines/{msisdn}/bindings/{service}", response_model=SyncOut, responses=ERRORS)
def put_binding(
    msisdn: str,
    service: str,
    body: BindingIn,
    session: SessionDep,
    deps: DepsDep,
    actor: LinesWriter,
    response: Response,
    operator: OperatorQuery = None,
) -> SyncOut:
    """Add or update a bound service, with the address or URL it is told at closure."""
    raw = {**body.model_dump(exclude_none=True), "msisdn": msisdn, "service": service}
    return _put(session, deps, actor, operator, "bindings", raw, response)


@router.delete("/lines/{msisdn}/bindings/{service}", response_model=SyncOut, responses=ERRORS)
def unbind(
    msisdn: str,
    service: str,
    session: SessionDep,
    deps: DepsDep,
    actor: LinesWriter,
    response: Response,
    operator: OperatorQuery = None,
    unbound_on: Annotated[date | None, Query()] = None,
) -> SyncOut:
    """The number was removed from the service: the binding is kept with the day it ended."""
    owner = sync.operator_for(session, actor, operator)
    synced = sync.unbind(session, deps, actor, owner, msisdn, service, unbound_on)
    return _done(session, deps, synced, response)


@router.put("/lines/{msisdn}/legal-hold", response_model=SyncOut, responses=ERRORS)
def place_hold(
    msisdn: str,
    body: HoldIn,
    session: SessionDep,
    deps: DepsDep,
    actor: HoldsWriter,
    response: Response,
    operator: OperatorQuery = None,
) -> SyncOut:
    """Freeze the line for an authority: the reason and who asked are required."""
    raw = {**body.model_dump(exclude_none=True), "msisdn": msisdn}
    if not str(raw.get("requested_by") or "").strip():
        raise InvalidInput(
            "requested_by is required: who asked for the hold",
            code="invalid_value",
            field="requested_by",
        )
    return _put(session, deps, actor, operator, "legal_holds", raw, response)


@router.post("/lines/{msisdn}/legal-hold/lift", response_model=SyncOut, responses=ERRORS)
def lift_hold(
    msisdn: str,
    body: LiftIn,
    session: SessionDep,
    deps: DepsDep,
    actor: HoldsWriter,
    response: Response,
    operator: OperatorQuery = None,
) -> SyncOut:
    owner = sync.operator_for(session, actor, operator)
    synced = sync.lift_hold(session, deps, actor, owner, msisdn, body.model_dump(exclude_none=True))
    return _done(session, deps, synced, response)


@router.put("/lines/{msisdn}/lost-report", response_model=SyncOut, responses=ERRORS)
def report_lost(
    msisdn: str,
    body: LostIn,
    session: SessionDep,
    deps: DepsDep,
    actor: LinesWriter,
    response: Response,
    operator: OperatorQuery = None,
) -> SyncOut:
    """The subscriber reported the line lost: closure waits for the owner to be verified."""
    raw = {**body.model_dump(exclude_none=True), "msisdn": msisdn}
    return _put(session, deps, actor, operator, "lost_reports", raw, response)


@router.delete("/lines/{msisdn}/lost-report", response_model=SyncOut, responses=ERRORS)
def found(
    msisdn: str,
    session: SessionDep,
    deps: DepsDep,
    actor: LinesWriter,
    response: Response,
    operator: OperatorQuery = None,
    found_on: Annotated[date | None, Query()] = None,
) -> SyncOut:
    owner = sync.operator_for(session, actor, operator)
    synced = sync.found(session, deps, actor, owner, msisdn, found_on)
    return _done(session, deps, synced, response)
