"""Debts at closure: settlement writes off small amounts with the reason and hands the rest to
collection; the subscriber is told how to pay, and payments come in by statement or API."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from lineclose.bootstrap import App
from lineclose.db import models, outbox
from lineclose.db.models_money import Debt
from lineclose.services.closure import BEGIN_EXECUTION
from lineclose.services.context import Role
from lineclose.services.payouts.reconcile import import_statement
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import staff
from tests.factories import make_line, make_operator
from tests.support.payouts import ADMIN, SQLITE_ONLY


def _close_owing(app: App, worker: Worker, usage_minor: int) -> int:
    """Run the real execution steps on an approved request whose usage exceeds its credit."""
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "uk")
        line = make_line(
            session, app.deps, operator, unbilled_usage_minor=usage_minor, service_password=None
        )
        now = app.deps.clock.now()
        request = models.ClosureRequest(
            reference=f"LC-2026-D{line.id:05d}",
            operator_id=operator.id,
            line_id=line.id,
            status="approved",
            channel="online",
            submitted_by="subscriber:test",
            payload_digest="0" * 64,
            alternate_contact_enc=app.deps.vault.encrypt("owner@example.org"),
            alternate_contact_masked="o***@example.org",
            submitted_at=now,
            created_at=now,
            updated_at=now,
        )
        session.add(request)
        session.flush()
        outbox.enqueue(
            session, now, BEGIN_EXECUTION, f"{request.id}:{BEGIN_EXECUTION}", request_id=request.id
        )
        request_id = request.id
    worker.run_until_idle()
    return request_id


@SQLITE_ONLY
def test_a_small_amount_due_is_written_off_with_its_reason(app: App, worker: Worker) -> None:
    request_id = _close_owing(app, worker, usage_minor=300)  # under GBP 5
    with app.sessions() as session:
        debt = session.execute(select(Debt).where(Debt.request_id == request_id)).scalar_one()
        assert (debt.status, debt.amount_minor) == ("written_off", 300)
        reason = session.execute(
            select(models.AuditEntry.details).where(models.AuditEntry.action == "debt.written_off")
        ).scalar_one()["reason"]
        assert "write-off threshold" in reason
    assert not any("left" in m.body for m in app.deps.email.sent)  # type: ignore[attr-defined]


def test_a_larger_amount_goes_to_collection_and_is_paid_by_statement_and_api(
    app: App, worker: Worker, client: TestClient
) -> None:
    request_id = _close_owing(app, worker, usage_minor=2_000)
    with app.sessions() as session:
        debt = session.execute(select(Debt).where(Debt.request_id == request_id)).scalar_one()
        assert debt.status == "collection"
        pay_reference = debt.pay_reference
    told = next(m.body for m in app.deps.email.sent if pay_reference in m.body)  # type: ignore[attr-defined]
    assert "£20.00" in told
    admin = staff(app, Role.ADMIN)
    listed = client.get("/api/v1/debts", params={"status": "collection"}, headers=admin).json()
    assert [d["pay_reference"] for d in listed["debts"]] == [pay_reference]

    camt = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>N</MsgId><CreDtTm>2026-11-26T08:00:00</CreDtTm></GrpHdr><Ntfctn><Id>1</Id>
<Ntry><Amt Ccy="GBP">15.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<NtryDtls><TxDtls><RmtInf><Ustrd>Closure debt {pay_reference}</Ustrd></RmtInf></TxDtls></NtryDtls>
</Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>""".encode()
    with app.sessions.begin() as session:
        report = import_statement(session, app.deps, ADMIN, camt)
    assert report.debt_payments == [pay_reference]
    rest = client.post(
        f"/api/v1/debts/{pay_reference}/payments", json={"amount_minor": 500}, headers=admin
    )
    assert rest.status_code == 200 and rest.json() == {
        "pay_reference": pay_reference,
        "paid_minor": 2_000,
        "status": "paid",
    }
    again = client.post(
        f"/api/v1/debts/{pay_reference}/payments", json={"amount_minor": 1}, headers=admin
    )
    assert again.status_code == 409
