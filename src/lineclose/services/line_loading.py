"""A line and everything a closure decision reads about it, in two statements.

`lines.find_line` + `lines.line_facts` + `lines.calendar_for` read the same rows in eight
statements (the line, its operator and holder lazily, then bills, contract, bindings, orders,
open requests and calendar overrides one table at a time). The precheck and the submit read
them here instead: the line joined to its operator and holder, then one UNION ALL over the
fact tables. Both statements are built once; their results are the same facts, in the same
order, as the one-table-at-a-time reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, Integer, String, bindparam, cast, literal, null
from sqlalchemy import select as select_
from sqlalchemy.orm import Session, joinedload

from lineclose.db import models
from lineclose.domain import facts as f
from lineclose.domain.calendars import WorkingCalendar
from lineclose.domain.profiles import JurisdictionProfile
from lineclose.domain.states import OPEN_STATES
from lineclose.services.lines import build_facts, resolve_msisdn, unknown_line

_LINE = (
    select_(models.Line)
    .options(joinedload(models.Line.operator), joinedload(models.Line.subscriber))
    .where(models.Line.msisdn == bindparam("msisdn"))
    .order_by(models.Line.status == f.LineStatus.CLOSED, models.Line.id.desc())
    .limit(1)
)

_OPEN = sorted(s.value for s in OPEN_STATES)
_LINE_ID = bindparam("line_id", type_=Integer)


def _row(kind: str, **columns: Any) -> Any:
    """One branch of the union: every branch has the same columns, NULL where it has none."""
    typed = {
        "id": Integer,
        "n1": BigInteger,
        "n2": BigInteger,
        "n3": BigInteger,
        "d1": Date,
        "s1": String,
        "s2": String,
        "flag": Boolean,
    }
    return select_(
        literal(kind, String).label("kind"),
        *(
            (columns[name] if name in columns else cast(null(), type_)).label(name)
            for name, type_ in typed.items()
        ),
    )


_FACTS = (
    _row(
        "bill",
        id=models.Bill.id,
        n1=models.Bill.amount_minor,
        d1=models.Bill.due_on,
    ).where(models.Bill.line_id == _LINE_ID, models.Bill.paid_at.is_(None))
).union_all(
    _row(
        "contract",
        id=models.Contract.id,
        n1=models.Contract.etf_fixed_minor,
        n2=models.Contract.etf_monthly_minor,
        n3=models.Contract.processing_fee_minor,
        d1=models.Contract.commitment_end,
        s1=models.Contract.etf_rule,
    ).where(models.Contract.line_id == _LINE_ID),
    _row(
        "binding",
        id=models.Binding.id,
        d1=models.Binding.unbound_on,
        s1=models.Binding.service,
        s2=models.Binding.category,
    ).where(models.Binding.line_id == _LINE_ID),
    _row(
        "order",
        id=models.OpenOrder.id,
        s1=models.OpenOrder.kind,
        s2=models.OpenOrder.reference,
    ).where(models.OpenOrder.line_id == _LINE_ID, models.OpenOrder.status == "open"),
    _row(
        "request",
        id=models.ClosureRequest.id,
        s2=models.ClosureRequest.reference,
    ).where(
        models.ClosureRequest.line_id == _LINE_ID,
        models.ClosureRequest.status.in_(_OPEN),
        models.ClosureRequest.id != bindparam("exclude", type_=Integer),
    ),
    _row(
        "replay",
        id=models.ClosureRequest.id,
        s2=models.ClosureRequest.payload_digest,
    ).where(models.ClosureRequest.idempotency_key == bindparam("key", type_=String)),
    _row(
        "calendar",
        d1=models.CalendarOverride.day,
        flag=models.CalendarOverride.working,
    ).where(models.CalendarOverride.country == bindparam("country", type_=String)),
)


@dataclass(frozen=True)
class LoadedFacts:
    """The facts of one line, its working calendar, and what a submission checks beside them."""

    facts: f.LineFacts
    calendar: WorkingCalendar
    # Every binding the line ever had, unbound ones too: what a requester may acknowledge.
    binding_ids: frozenset[int]
    # The line's open closure request (other than the excluded one), if any.
    open_request: str | None
    commitment_end: date | None
    # The request made earlier with the Idempotency-Key asked about: its id and payload digest.
    replay: tuple[int, str] | None = None


def load_line(session: Session, raw_msisdn: str) -> models.Line:
    """`lines.find_line`, with the operator and the holder loaded in the same statement."""
    msisdn = resolve_msisdn(session, raw_msisdn)
    line = session.execute(_LINE, {"msisdn": msisdn}).scalar_one_or_none()
    if line is None:
        raise unknown_line(msisdn)
    return line


def load_facts(
    session: Session,
    line: models.Line,
    profile: JurisdictionProfile,
    exclude_request_id: int | None = None,
    idempotency_key: str | None = None,
) -> LoadedFacts:
    """`lines.line_facts` and `lines.calendar_for` in one statement; with `idempotency_key`,
    the request already made with that key too."""
    rows = session.connection().execute(
        _FACTS,
        {
            "line_id": line.id,
            "exclude": exclude_request_id or -1,
            "country": profile.country,
            "key": idempotency_key,
        },
    )
    replay: tuple[int, str] | None = None
    bills: list[tuple[date, int, int]] = []
    bindings: list[tuple[int, str, str]] = []
    binding_ids: set[int] = set()
    orders: list[tuple[int, str, str]] = []
    requests: list[tuple[int, str]] = []
    overrides: dict[date, bool] = {}
    contract: f.Contract | None = None
    for kind, id_, n1, n2, n3, d1, s1, s2, flag in rows:
        if kind == "bill":
            bills.append((d1, id_, n1))
        elif kind == "binding":
            binding_ids.add(id_)
            if d1 is None:
                bindings.append((id_, s1, s2))
        elif kind == "order":
            orders.append((id_, s1, s2))
        elif kind == "request":
            requests.append((id_, s2))
        elif kind == "calendar":
            overrides[d1] = bool(flag)
        elif kind == "replay":
            replay = (id_, s2)
        else:
            contract = f.Contract(
                commitment_end=d1,
                etf_rule=f.EtfRule(s1),
                etf_fixed_minor=n1,
                etf_monthly_minor=n2,
                processing_fee_minor=n3,
            )
    bills.sort()
    bindings.sort()
    orders.sort()
    requests.sort()
    open_orders = [f.OpenOrder(kind, reference) for _, kind, reference in orders]
    open_orders.extend(f.OpenOrder("closure", reference) for _, reference in requests)
    facts = build_facts(
        line,
        tuple(f.UnpaidBill(bill_id, amount, due_on) for due_on, bill_id, amount in bills),
        contract,
        tuple(f.Binding(id_, service, category) for id_, service, category in bindings),
        tuple(open_orders),
    )
    return LoadedFacts(
        facts=facts,
        calendar=WorkingCalendar(
            country=profile.country, source=profile.calendar, overrides=overrides
        ),
        binding_ids=frozenset(binding_ids),
        open_request=requests[0][1] if requests else None,
        commitment_end=contract.commitment_end if contract else None,
        replay=replay,
    )
