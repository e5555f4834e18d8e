"""Lines as people see them: a holder's lines, staff search, and one line with its bills,
bound services and contract."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain.identifiers import (
    InvalidIdentifier,
    mask_middle,
    mask_msisdn,
    normalize_iccid,
    normalize_id_number,
)
from lineclose.errors import Forbidden, InvalidInput, NotFound
from lineclose.services.access import Action, ensure
from lineclose.services.context import Actor, Deps
from lineclose.services.lines import (
    ensure_can_see_line,
    find_line,
    line_by_msisdn,
    local_today,
    profile_of,
    resolve_msisdn,
)
from lineclose.services.reads.models import (
    BillView,
    BindingView,
    ContractView,
    LineOverview,
    LineSummary,
    NumberState,
    RequestSummary,
)
from lineclose.services.reads.requests import open_request_reference


def line_summary(session: Session, line: models.Line) -> LineSummary:
    latest = session.execute(
        select(models.ClosureRequest)
        .where(models.ClosureRequest.line_id == line.id)
        .order_by(models.ClosureRequest.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return LineSummary(
        id=line.id,
        msisdn=mask_msisdn(line.msisdn),
        iccid=mask_middle(line.iccid, 6, 4),
        holder_id=line.subscriber.id_number_masked or "",
        kind=line.kind,
        payment=line.payment,
        status=line.status,
        operator=line.operator.name,
        operator_id=line.operator_id,
        fleet=line.fleet_account,
        lost=line.lost_reported,
        currency=line.currency,
        locale=profile_of(line.operator).locale,
        request=(
            RequestSummary(reference=latest.reference, status=latest.status) if latest else None
        ),
    )


def _overview(session: Session, deps: Deps, line: models.Line) -> LineOverview:
    today = local_today(profile_of(line.operator), deps.clock.now())
    bills = session.execute(
        select(models.Bill).where(models.Bill.line_id == line.id).order_by(models.Bill.due_on)
    ).scalars()
    bindings = session.execute(
        select(models.Binding).where(models.Binding.line_id == line.id).order_by(models.Binding.id)
    ).scalars()
    contract = session.execute(
        select(models.Contract).where(models.Contract.line_id == line.id)
    ).scalar_one_or_none()
    return LineOverview(
        summary=line_summary(session, line),
        profile=line.operator.profile,
        number=line.msisdn,
        bills=[
            BillView(
                id=b.id,
                kind=b.kind,
                amount_minor=b.amount_minor,
                due_on=b.due_on,
                paid=b.paid_at is not None,
            )
            for b in bills
        ],
        bindings=[
            BindingView(id=b.id, service=b.service, category=b.category, unbound_on=b.unbound_on)
            for b in bindings
        ],
        contract=(
            ContractView(
                commitment_end=contract.commitment_end,
                in_term=contract.commitment_end > today,
            )
            if contract is not None
            else None
        ),
        open_request=open_request_reference(session, line.id),
    )


def line_overview(session: Session, deps: Deps, actor: Actor, line_id: int) -> LineOverview:
    """One line by its id (pages keep numbers out of URLs): its holder or its operator's staff."""
    ensure(actor, Action.VIEW_LINE)
    line = session.get(models.Line, line_id)
    if line is None:
        raise NotFound("no such line", code="unknown_line")
    ensure_can_see_line(actor, line, NotFound("no such line", code="unknown_line"))
    return _overview(session, deps, line)


def line_overview_by_number(
    session: Session, deps: Deps, actor: Actor, msisdn: str
) -> LineOverview:
    ensure(actor, Action.VIEW_LINE)
    line = find_line(session, msisdn)
    ensure_can_see_line(actor, line)
    return _overview(session, deps, line)


def my_lines(session: Session, actor: Actor) -> list[LineSummary]:
    """The signed-in holder's lines, each with its latest closure request."""
    if actor.subscriber_id is None:
        raise Forbidden("only the holder sees their lines", code="forbidden")
    lines = session.execute(
        select(models.Line)
        .where(models.Line.subscriber_id == actor.subscriber_id)
        .order_by(models.Line.id)
    ).scalars()
    return [line_summary(session, line) for line in lines]


def search_lines(session: Session, deps: Deps, actor: Actor, text: str) -> list[LineSummary]:
    """Lines matching an MSISDN, ICCID, request reference or the holder's ID number (looked up
    by its keyed hash, never stored or shown in clear), limited to what the actor may see."""
    ensure(actor, Action.SEARCH_LINES)
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
            by_iccid = session.execute(
                select(models.Line).where(models.Line.iccid == iccid)
            ).scalar_one_or_none()
            if by_iccid is not None:
                found[by_iccid.id] = by_iccid
        except InvalidIdentifier:
            pass
    try:
        by_number = line_by_msisdn(session, resolve_msisdn(session, compact, actor.operator_id))
        if by_number is not None:
            found[by_number.id] = by_number
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
        except (Forbidden, NotFound):
            continue
        visible.append(line_summary(session, line))
    return visible


def number_state(session: Session, actor: Actor, msisdn: str) -> NumberState:
    """Where a line's number stands: assigned, aging until a date, or ported out."""
    ensure(actor, Action.NUMBER_STATE)
    line = find_line(session, msisdn)
    ensure_can_see_line(actor, line)
    number = session.get(models.Number, line.msisdn)
    return NumberState(
        msisdn=mask_msisdn(line.msisdn),
        state=number.state if number else "assigned",
        aging_until=number.aging_until.isoformat() if number and number.aging_until else None,
        last_disconnected_on=(
            number.last_disconnected_on.isoformat()
            if number and number.last_disconnected_on
            else None
        ),
    )


def subscriber_locale(session: Session, actor: Actor) -> str | None:
    """The language of the operator whose line the subscriber signed in with."""
    if actor.verified_line_id is None:
        return None
    line = session.get(models.Line, actor.verified_line_id)
    return profile_of(line.operator).locale if line else None
