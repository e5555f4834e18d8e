"""Grouping instructed refunds into payout batches, one per operator and currency.

Rules: a refund enters a batch when it is `instructed`, is to be paid out (not donated or
kept as credit: refunds under the bank's minimum are settled first, see `minimums`) and still
has an account. Each batch gets one payment per refund, under an
end-to-end id of its own (`<request reference>-<attempt>`), and moves the refund to `batched`
with an audit entry. The file is rendered from the batch's rows, so it can be rendered again
after a crash between the commit and the write; the caller writes it only after commit.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.db.models_money import PayoutAccount, RefundBatch, RefundPayment
from lineclose.errors import Forbidden, NotFound
from lineclose.services.context import Actor, Deps, Role
from lineclose.services.lines import local_today, profile_of
from lineclose.services.payouts.files import (
    CSV,
    Debtor,
    PayoutItem,
    build_csv,
    build_pain001,
    file_format_for,
)
from lineclose.services.payouts.minimums import apply_minimums

BATCHED = "batched"
INSTRUCTED = "instructed"
PAYOUT = "payout"
_EXTENSION = {"pain.001": "xml", CSV: "csv"}


@dataclass(frozen=True)
class BatchFile:
    reference: str
    operator: str
    currency: str
    file_format: str
    file_name: str
    refund_count: int
    total_minor: int
    content: bytes


@dataclass(frozen=True)
class Skipped:
    operator: str
    currency: str
    refunds: int
    reason: str


@dataclass
class BatchRun:
    files: list[BatchFile]
    skipped: list[Skipped]


def ensure_payout_staff(actor: Actor) -> None:
    if actor.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise Forbidden("only supervisors and admins handle payouts", code="role_not_allowed")


def _due(session: Session, operator_id: int | None) -> list[tuple[int, int, str, str, int]]:
    """(refund id, operator id, operator code, currency, amount) of refunds waiting for a batch."""
    query = (
        select(
            models.RefundInstruction.id,
            models.Operator.id,
            models.Operator.code,
            models.RefundInstruction.currency,
            models.RefundInstruction.amount_minor,
        )
        .join(
            models.ClosureRequest, models.ClosureRequest.id == models.RefundInstruction.request_id
        )
        .join(models.Operator, models.Operator.id == models.ClosureRequest.operator_id)
        .where(
            models.RefundInstruction.status == INSTRUCTED,
            models.RefundInstruction.disposition == PAYOUT,
            models.RefundInstruction.account_enc.is_not(None),
        )
        .order_by(models.RefundInstruction.id)
    )
    if operator_id is not None:
        query = query.where(models.Operator.id == operator_id)
    return [tuple(row) for row in session.execute(query).all()]  # type: ignore[misc]


def create_batches(
    session: Session, deps: Deps, actor: Actor, operator_code: str | None = None
) -> BatchRun:
    """Batch every due refund (of one operator, or all); returns the files to write after commit."""
    ensure_payout_staff(actor)
    operator_id = None
    if operator_code is not None:
        operator_id = session.execute(
            select(models.Operator.id).where(models.Operator.code == operator_code)
        ).scalar_one_or_none()
        if operator_id is None:
            raise NotFound(f"no operator {operator_code}", code="unknown_operator")
    apply_minimums(session, deps, actor, operator_id)
    groups: dict[tuple[int, str, str], list[tuple[int, int]]] = defaultdict(list)
    for refund_id, op_id, op_code, currency, amount in _due(session, operator_id):
        groups[(op_id, op_code, currency)].append((refund_id, amount))
    run = BatchRun([], [])
    for (op_id, op_code, currency), refunds in sorted(groups.items()):
        fmt = file_format_for(currency)
        if fmt != CSV and _debtor(session, op_id, currency) is None:
            run.skipped.append(
                Skipped(op_code, currency, len(refunds), "no payout account for this currency")
            )
            continue
        batch = _new_batch(session, deps, actor, op_id, op_code, currency, fmt, refunds)
        run.files.append(
            BatchFile(
                batch.reference,
                op_code,
                currency,
                fmt,
                batch.file_name,
                batch.refund_count,
                batch.total_minor,
                render(session, deps, batch),
            )
        )
        batch.file_sha256 = hashlib.sha256(run.files[-1].content).hexdigest()
    return run


def _debtor(session: Session, operator_id: int, currency: str) -> Debtor | None:
    account = session.execute(
        select(PayoutAccount).where(
            PayoutAccount.operator_id == operator_id, PayoutAccount.currency == currency
        )
    ).scalar_one_or_none()
    return None if account is None else Debtor(account.name, account.iban, account.bic)


def _new_batch(
    session: Session,
    deps: Deps,
    actor: Actor,
    operator_id: int,
    operator_code: str,
    currency: str,
    fmt: str,
    refunds: list[tuple[int, int]],
) -> RefundBatch:
    now = deps.clock.now()
    reference = f"PB-{now:%Y%m%d}-{secrets.token_hex(4).upper()}"
    batch = RefundBatch(
        reference=reference,
        operator_id=operator_id,
        currency=currency,
        file_format=fmt,
        file_name=f"{reference}.{_EXTENSION[fmt]}",
        file_sha256="",
        refund_count=len(refunds),
        total_minor=sum(amount for _, amount in refunds),
        created_by=actor.label,
        created_at=now,
    )
    session.add(batch)
    session.flush()
    ids = [refund_id for refund_id, _ in refunds]
    earlier = dict(
        session.execute(
            select(RefundPayment.refund_id, func.count())
            .where(RefundPayment.refund_id.in_(ids))
            .group_by(RefundPayment.refund_id)
        ).all()
    )
    references = dict(
        session.execute(
            select(models.RefundInstruction.id, models.ClosureRequest.reference)
            .join(models.ClosureRequest)
            .where(models.RefundInstruction.id.in_(ids))
        ).all()
    )
    rows = [
        {
            "refund_id": refund_id,
            "batch_id": batch.id,
            "end_to_end_id": f"{references[refund_id]}-{earlier.get(refund_id, 0) + 1}",
            "amount_minor": amount,
            "status": BATCHED,
        }
        for refund_id, amount in refunds
    ]
    session.execute(insert(RefundPayment), rows)
    session.execute(
        update(models.RefundInstruction)
        .where(models.RefundInstruction.id.in_(ids))
        .values(status=BATCHED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    for row in rows:
        audit.append(
            session,
            now,
            actor.label,
            "refund.batched",
            "refund",
            str(row["refund_id"]),
            {"batch": reference, "end_to_end_id": row["end_to_end_id"], "from": INSTRUCTED},
        )
    audit.append(
        session,
        now,
        actor.label,
        "refund_batch.created",
        "refund_batch",
        reference,
        {"operator": operator_code, "currency": currency, "refunds": len(refunds), "format": fmt},
    )
    return batch


def render(session: Session, deps: Deps, batch: RefundBatch) -> bytes:
    """The batch's file, from its payments and the refunds' sealed accounts."""
    rows = session.execute(
        select(RefundPayment, models.RefundInstruction, models.ClosureRequest)
        .join(models.RefundInstruction, models.RefundInstruction.id == RefundPayment.refund_id)
        .join(
            models.ClosureRequest, models.ClosureRequest.id == models.RefundInstruction.request_id
        )
        .where(RefundPayment.batch_id == batch.id)
        .order_by(RefundPayment.id)
    ).all()
    operator = session.get(models.Operator, batch.operator_id)
    assert operator is not None
    items = []
    for payment, refund, request in rows:
        holder = request.line.subscriber.name_enc
        assert refund.account_enc is not None
        items.append(
            PayoutItem(
                end_to_end_id=payment.end_to_end_id,
                name=deps.vault.decrypt(holder) if holder else "Account holder",
                account=deps.vault.decrypt(refund.account_enc),
                amount_minor=payment.amount_minor,
                currency=batch.currency,
                remittance=f"Refund {request.reference} {operator.name}"[:140],
            )
        )
    if batch.file_format == CSV:
        return build_csv(items)
    debtor = _debtor(session, batch.operator_id, batch.currency)
    assert debtor is not None
    execution = local_today(profile_of(operator), batch.created_at) + timedelta(days=1)
    return build_pain001(
        debtor,
        items,
        message_id=batch.reference,
        execution_date=execution,
        currency=batch.currency,
    )


def batch_file(session: Session, deps: Deps, actor: Actor, reference: str) -> BatchFile:
    """Render a batch's file again, e.g. when the process stopped before writing it."""
    ensure_payout_staff(actor)
    batch = session.execute(
        select(RefundBatch).where(RefundBatch.reference == reference)
    ).scalar_one_or_none()
    if batch is None:
        raise NotFound(f"no payout batch {reference}", code="unknown_batch")
    operator = session.get(models.Operator, batch.operator_id)
    assert operator is not None
    return BatchFile(
        batch.reference,
        operator.code,
        batch.currency,
        batch.file_format,
        batch.file_name,
        batch.refund_count,
        batch.total_minor,
        render(session, deps, batch),
    )
