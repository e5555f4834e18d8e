"""Precheck of whole fleets or operators at once: set-based reads, then the rules in sets.

Six queries per chunk of lines, reading plain rows (no ORM objects), instead of several per
line; the chunk is evaluated as columns (`domain.eligibility_sets`), and a line's whole
`Eligibility` is built only for the verdicts asked about in detail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from itertools import repeat
from typing import Any, TypeVar

from sqlalchemy import Connection, Executable, Integer, bindparam, select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.db.among import among
from lineclose.domain import facts as f
from lineclose.domain.calendars import WorkingCalendar
from lineclose.domain.eligibility import BlockerCode, Eligibility, evaluate
from lineclose.domain.eligibility_sets import FactColumns, evaluate_set
from lineclose.domain.facts import LineStatus
from lineclose.domain.profiles import JurisdictionProfile
from lineclose.domain.states import OPEN_STATES
from lineclose.services.context import Deps
from lineclose.services.lines import calendar_for, local_today, profile_of

CHUNK = 5_000


T = TypeVar("T")


LINE_COLUMNS = (
    models.Line.id,
    models.Line.msisdn,
    models.Line.kind,
    models.Line.payment,
    models.Line.status,
    models.Line.currency,
    models.Line.monthly_fee_minor,
    models.Line.billing_day,
    models.Line.paid_credit_minor,
    models.Line.promo_credit_minor,
    models.Line.unbilled_usage_minor,
    models.Line.legal_hold,
    models.Line.lost_reported,
    models.Line.fleet_account,
)


def _by_position(positions: dict[int, int], rows: list[tuple[int, T]]) -> dict[int, list[T]]:
    """Rows keyed by their line's id, regrouped by the line's position in the chunk."""
    grouped: dict[int, list[T]] = defaultdict(list)
    for line_id, item in rows:
        grouped[positions[line_id]].append(item)
    return grouped


# The facts of a chunk, each kind read for the chunk's lines: over their id range when they
# are dense (an operator's lines in id order), by the list of their ids when they are scattered
# (a fleet's cards among an operator's millions), where the range would read other lines'.
_FIRST, _LAST = bindparam("first", type_=Integer), bindparam("last", type_=Integer)
# A chunk whose id range is more than this many times its size is read by its ids.
SPARSE = 4


def _facts_queries(lines_in: Callable[[Any], Any]) -> tuple[Executable, ...]:
    """Bills, contracts, bindings, orders and open requests of the lines `lines_in` selects."""
    bills = (
        select(models.Bill.line_id, models.Bill.id, models.Bill.amount_minor, models.Bill.due_on)
        .where(lines_in(models.Bill.line_id), models.Bill.paid_at.is_(None))
        .order_by(models.Bill.line_id, models.Bill.due_on)
    )
    contracts = select(
        models.Contract.line_id,
        models.Contract.commitment_end,
        models.Contract.etf_rule,
        models.Contract.etf_fixed_minor,
        models.Contract.etf_monthly_minor,
        models.Contract.processing_fee_minor,
    ).where(lines_in(models.Contract.line_id))
    bindings = (
        select(
            models.Binding.line_id,
            models.Binding.id,
            models.Binding.service,
            models.Binding.category,
        )
        .where(lines_in(models.Binding.line_id), models.Binding.unbound_on.is_(None))
        .order_by(models.Binding.line_id, models.Binding.id)
    )
    orders = (
        select(models.OpenOrder.line_id, models.OpenOrder.kind, models.OpenOrder.reference)
        .where(lines_in(models.OpenOrder.line_id), models.OpenOrder.status == "open")
        .order_by(models.OpenOrder.line_id, models.OpenOrder.id)
    )
    requests = (
        select(models.ClosureRequest.line_id, models.ClosureRequest.reference)
        .where(
            lines_in(models.ClosureRequest.line_id),
            models.ClosureRequest.status.in_(sorted(s.value for s in OPEN_STATES)),
        )
        .order_by(models.ClosureRequest.line_id, models.ClosureRequest.id)
    )
    return bills, contracts, bindings, orders, requests


_IN_RANGE = _facts_queries(lambda line_id: line_id.between(_FIRST, _LAST))


def _columns_of_chunk(connection: Connection, lines: Sequence[Any]) -> FactColumns:
    """The same facts `lines.line_facts` loads for one line, for a chunk of lines, as columns:
    one query per kind of fact over the chunk's id range (by its ids when they are scattered),
    plain rows (no ORM objects), each line's facts in the same order. `lines` ordered by id."""
    positions = {row[0]: i for i, row in enumerate(lines)}
    chunk: dict[str, Any] = {"first": lines[0][0], "last": lines[-1][0]}
    queries = _IN_RANGE
    if chunk["last"] - chunk["first"] >= SPARSE * len(lines):
        queries = _facts_queries(lambda line_id: among(connection, line_id, positions))
        chunk = {}
    read_bills, read_contracts, read_bindings, read_orders, read_requests = queries
    bills = _by_position(
        positions,
        [
            (line_id, f.UnpaidBill(bill_id, amount, due_on))
            for line_id, bill_id, amount, due_on in connection.execute(read_bills, chunk).all()
            if line_id in positions
        ],
    )
    contracts = {
        positions[line_id]: f.Contract(
            commitment_end=end,
            etf_rule=f.EtfRule(rule),
            etf_fixed_minor=fixed,
            etf_monthly_minor=monthly,
            processing_fee_minor=processing,
        )
        for line_id, end, rule, fixed, monthly, processing in connection.execute(
            read_contracts, chunk
        ).all()
        if line_id in positions
    }
    bindings = _by_position(
        positions,
        [
            (line_id, f.Binding(binding_id, service, category))
            for line_id, binding_id, service, category in connection.execute(
                read_bindings, chunk
            ).all()
            if line_id in positions
        ],
    )
    orders = _by_position(
        positions,
        [
            (line_id, f.OpenOrder(kind, reference))
            for line_id, kind, reference in connection.execute(read_orders, chunk).all()
            if line_id in positions
        ]
        + [
            (line_id, f.OpenOrder("closure", reference))
            for line_id, reference in connection.execute(read_requests, chunk).all()
            if line_id in positions
        ],
    )
    (
        _ids,
        msisdn,
        kind,
        payment,
        status,
        currency,
        monthly_fee,
        billing_day,
        paid_credit,
        promo_credit,
        unbilled_usage,
        legal_hold,
        lost_reported,
        fleet_account,
    ) = zip(*lines, strict=True)
    return FactColumns(
        msisdn=msisdn,
        kind=kind,
        payment=payment,
        status=status,
        currency=currency,
        monthly_fee_minor=monthly_fee,
        billing_day=billing_day,
        paid_credit_minor=paid_credit,
        promo_credit_minor=promo_credit,
        unbilled_usage_minor=unbilled_usage,
        legal_hold=legal_hold,
        lost_reported=lost_reported,
        fleet=[account is not None for account in fleet_account],
        unpaid_bills=bills,
        contracts=contracts,
        active_bindings=bindings,
        open_orders=orders,
    )


def columns_of_lines(session: Session, lines: Sequence[Any]) -> FactColumns:
    """The facts of lines given as `LINE_COLUMNS` rows ordered by id, as columns."""
    return _columns_of_chunk(session.connection(), lines)


def facts_of_lines(session: Session, lines: Sequence[Any]) -> list[f.LineFacts]:
    """Each line's facts, as the single-line precheck reads them, for rows that begin with
    `LINE_COLUMNS` (ordered by id; further columns are the caller's)."""
    if not lines:
        return []
    width = len(LINE_COLUMNS)
    columns = _columns_of_chunk(session.connection(), [row[:width] for row in lines])
    return [columns.line(i) for i in range(len(lines))]


class _Chunk:
    """A chunk's facts and what it was evaluated under, for the few verdicts asked in full."""

    __slots__ = ("calendar", "columns", "intent", "profile", "today")

    def __init__(
        self,
        columns: FactColumns,
        intent: f.ClosureIntent,
        profile: JurisdictionProfile,
        calendar: WorkingCalendar,
        today: date,
    ) -> None:
        self.columns = columns
        self.intent = intent
        self.profile = profile
        self.calendar = calendar
        self.today = today

    def eligibility(self, i: int) -> Eligibility:
        return evaluate(self.columns.line(i), self.intent, self.profile, self.calendar, self.today)


class LineVerdict:
    """One line's verdict: its blocker and warning codes (in the single-line precheck's order),
    amount due and refund; `eligibility`, the whole single-line verdict, is built when asked."""

    __slots__ = (
        "_chunk",
        "_eligibility",
        "_index",
        "amount_due_minor",
        "blocker_codes",
        "msisdn",
        "refund_minor",
        "warning_codes",
    )

    def __init__(
        self,
        msisdn: str,
        blocker_codes: tuple[BlockerCode, ...],
        warning_codes: tuple[str, ...],
        amount_due_minor: int,
        refund_minor: int,
        chunk: _Chunk,
        index: int,
    ) -> None:
        self.msisdn = msisdn
        self.blocker_codes = blocker_codes
        self.warning_codes = warning_codes
        self.amount_due_minor = amount_due_minor
        self.refund_minor = refund_minor
        self._chunk = chunk
        self._index = index
        self._eligibility: Eligibility | None = None

    @property
    def eligible(self) -> bool:
        return not self.blocker_codes

    @property
    def eligibility(self) -> Eligibility:
        if self._eligibility is None:
            self._eligibility = self._chunk.eligibility(self._index)
        return self._eligibility

    def __repr__(self) -> str:
        return f"LineVerdict({self.msisdn!r}, blockers={[c.value for c in self.blocker_codes]})"


def bulk_precheck(
    session: Session,
    deps: Deps,
    operator: models.Operator,
    fleet_account: str | None = None,
    identity_methods: frozenset[f.IdentityMethod] = frozenset(),
) -> Iterator[LineVerdict]:
    """Evaluate every active line of an operator (or of one fleet) as a closure today, with
    the facts and rules of the single-line precheck, in sets of `CHUNK` lines."""
    profile = profile_of(operator)
    calendar = calendar_for(session, profile)
    today = local_today(profile, deps.clock.now())
    intent = f.ClosureIntent(identity_methods=identity_methods)
    query = (
        select(*LINE_COLUMNS)
        .where(models.Line.operator_id == operator.id, models.Line.status != LineStatus.CLOSED)
        .order_by(models.Line.id)
    )
    if fleet_account is not None:
        query = query.where(models.Line.fleet_account == fleet_account)
    page = query.where(models.Line.id > bindparam("after")).limit(CHUNK)
    connection = session.connection()
    last_id = 0
    while True:
        lines = connection.execute(page, {"after": last_id}).all()
        if not lines:
            return
        last_id = lines[-1][0]
        columns = _columns_of_chunk(connection, lines)
        verdicts = evaluate_set(columns, intent, profile, calendar, today)
        chunk = _Chunk(columns, intent, profile, calendar, today)
        yield from map(
            LineVerdict,
            columns.msisdn,
            verdicts.blocker_codes,
            verdicts.warning_codes,
            verdicts.amount_due_minor,
            verdicts.refund_minor,
            repeat(chunk),
            range(len(columns)),
        )
