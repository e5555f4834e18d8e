"""Refund payouts over the API, for supervisors and admins: batches, bank files, bank answers,
marking by hand, and the refunds by state (returned ones are staff's to-do list)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from lineclose.errors import InvalidInput
from lineclose.services.access import Action
from lineclose.services.context import Actor
from lineclose.services.payouts.accounts import set_payout_account
from lineclose.services.payouts.batches import create_batches
from lineclose.services.payouts.folder import write_batch_file
from lineclose.services.payouts.reconcile import ReconcileReport, import_statement, mark
from lineclose.services.reads.refunds import list_refunds
from lineclose.web.api.deps import DepsDep, SessionDep, app_of, may
from lineclose.web.api.schemas import problems

router = APIRouter(prefix="/api/v1/refunds", tags=["refunds"])
Payouts = Annotated[Actor, may(Action.PAYOUTS)]
Staff = Annotated[Actor, may(Action.READ_MONEY)]
MAX_STATEMENT_BYTES = 20 * 1024 * 1024


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    operator: str | None = Field(default=None, max_length=32)


class MarkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Field(pattern="^(paid|returned)$")
    reason: str | None = Field(default=None, max_length=35)


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=140)
    iban: str = Field(min_length=5, max_length=42)
    bic: str = Field(min_length=8, max_length=11)


def _report(report: ReconcileReport) -> dict[str, Any]:
    return {
        "source": report.source,
        "paid": report.paid,
        "returned": report.returned,
        "unchanged": report.unchanged,
        "debt_payments": report.debt_payments,
        "rejects": [
            {"line": r.line, "field": r.field, "message": r.message} for r in report.rejects
        ],
    }


@router.get("", responses=problems(400, 401, 403, 404, 409, 422))
def get_refunds(
    session: SessionDep,
    deps: DepsDep,
    actor: Staff,
    status: str | None = None,
    operator: str | None = None,
) -> dict[str, Any]:
    views = list_refunds(session, actor, deps.clock.now(), status=status, operator_code=operator)
    return {
        "refunds": [
            {
                "reference": v.reference,
                "operator": v.operator,
                "amount_minor": v.amount_minor,
                "currency": v.currency,
                "status": v.status,
                "disposition": v.disposition,
                "account": v.account_masked,
                "end_to_end_id": v.end_to_end_id,
                "batch": v.batch,
                "return_reason": v.return_reason,
                "age_days": v.age_days,
            }
            for v in views
        ]
    }


@router.post("/batches", status_code=201, responses=problems(400, 401, 403, 404, 409, 422))
def post_batches(
    body: BatchIn, request: Request, session: SessionDep, deps: DepsDep, actor: Payouts
) -> dict[str, Any]:
    """Batch every instructed refund (of one operator, or all) and write the bank files."""
    run = create_batches(session, deps, actor, body.operator)
    session.commit()
    folder = app_of(request).settings.payout_dir
    return {
        "batches": [
            {
                "reference": f.reference,
                "operator": f.operator,
                "currency": f.currency,
                "format": f.file_format,
                "refunds": f.refund_count,
                "total_minor": f.total_minor,
                "file": write_batch_file(folder, f).name,
            }
            for f in run.files
        ],
        "waiting": [
            {
                "operator": s.operator,
                "currency": s.currency,
                "refunds": s.refunds,
                "reason": s.reason,
            }
            for s in run.skipped
        ],
    }


@router.post("/statements", responses=problems(400, 401, 403, 404, 409, 422))
def post_statement(
    file: UploadFile, session: SessionDep, deps: DepsDep, actor: Payouts
) -> dict[str, Any]:
    """The bank's camt.054, pain.002 or MT940 file as the `file` form field; ids that are not
    ours come back as rejects while the rest apply."""
    data = file.file.read(MAX_STATEMENT_BYTES + 1)
    if not data or len(data) > MAX_STATEMENT_BYTES:
        raise InvalidInput("send the statement as the file field (at most 20 MB)", field="file")
    report = import_statement(session, deps, actor, data)
    session.commit()
    return _report(report)


@router.post("/payments/{end_to_end_id}", responses=problems(400, 401, 403, 404, 409, 422))
def post_mark(
    end_to_end_id: str, body: MarkIn, session: SessionDep, deps: DepsDep, actor: Payouts
) -> dict[str, Any]:
    """Mark one payment paid or returned by hand."""
    report = mark(session, deps, actor, end_to_end_id, body.status, body.reason)
    session.commit()
    return _report(report)


@router.put("/accounts/{operator}/{currency}", responses=problems(400, 401, 403, 404, 409, 422))
def put_account(
    operator: str,
    currency: str,
    body: AccountIn,
    session: SessionDep,
    deps: DepsDep,
    actor: Payouts,
) -> dict[str, Any]:
    """Set the operator's account that refunds in `currency` are paid from."""
    account = set_payout_account(
        session, deps, actor, operator, currency, body.name, body.iban, body.bic
    )
    session.commit()
    return {
        "operator": operator,
        "currency": account.currency,
        "iban": account.iban,
        "bic": account.bic,
    }
