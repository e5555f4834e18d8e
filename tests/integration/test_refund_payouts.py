"""Refund payouts: batches written as bank files that validate against the ISO 20022 XSD and
read back to what was batched, and the bank's answers reconciled by end-to-end id."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
import sepaxml
from lxml import etree
from sqlalchemy import func, select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.db.models_money import RefundBatch, RefundPayment
from lineclose.errors import Forbidden, InvalidInput
from lineclose.ports.clock import FrozenClock
from lineclose.services import retention
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.payouts.accounts import set_payout_account
from lineclose.services.payouts.batches import BatchFile, create_batches
from lineclose.services.payouts.files import CSV_HEADER
from lineclose.services.payouts.reconcile import (
    account_link,
    import_statement,
    mark,
    take_new_account,
)
from lineclose.services.reads.refunds import list_refunds
from lineclose.worker.dispatcher import Worker
from tests.factories import make_operator
from tests.support.payouts import (
    ADMIN,
    EU_ACCOUNTS,
    SQLITE_ONLY,
    camt054,
    closed_with_refund,
    pain002,
    setup_operators,
)

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"


def _pain001_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def _batch(app: App, operator: str | None = None) -> dict[str, BatchFile]:
    with app.sessions.begin() as session:
        run = create_batches(session, app.deps, ADMIN, operator)
    return {f.currency: f for f in run.files}


def test_eur_and_gbp_batches_validate_against_the_xsd_and_read_back(app: App) -> None:
    setup_operators(app)
    files = _batch(app)
    assert set(files) == {"EUR", "GBP", "CNY"}
    schema = _pain001_schema()
    eur = etree.fromstring(files["EUR"].content)
    schema.assertValid(eur)
    schema.assertValid(etree.fromstring(files["GBP"].content))

    txs = eur.findall(".//p:CdtTrfTxInf", NS)
    read_back = {
        tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS): (
            tx.findtext("p:Amt/p:InstdAmt", namespaces=NS),
            tx.find("p:Amt/p:InstdAmt", NS).get("Ccy"),
            tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS),
        )
        for tx in txs
    }
    assert {iban: v[:2] for iban, v in read_back.items()} == {
        EU_ACCOUNTS[0]: ("25.00", "EUR"),
        EU_ACCOUNTS[1]: ("10.10", "EUR"),
    }
    assert eur.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "35.10"
    assert eur.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS) == files["EUR"].reference
    assert eur.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == "BE68539007547034"
    gbp = etree.fromstring(files["GBP"].content)
    assert gbp.find(".//p:InstdAmt", NS).get("Ccy") == "GBP"
    assert gbp.find(".//p:SvcLvl", NS) is None  # SEPA service level is for euro only

    rows = list(csv.reader(io.StringIO(files["CNY"].content.decode("utf-8"))))
    assert tuple(rows[0]) == CSV_HEADER
    assert rows[1][1:6] == ["王芳", "6222020200112233445", "bank_card", "88.00", "CNY"]

    with app.sessions() as session:
        ids = set(session.execute(select(RefundPayment.end_to_end_id)).scalars())
        assert ids == {v[2] for v in read_back.values()} | {rows[1][0]} | {
            gbp.findtext(".//p:EndToEndId", namespaces=NS)
        }
        statuses = session.execute(select(models.RefundInstruction.status)).scalars().all()
        assert set(statuses) == {"batched"}
        moves = session.execute(
            select(func.count()).where(models.AuditEntry.action == "refund.batched")
        ).scalar_one()
        assert moves == 4
    assert _batch(app) == {}  # nothing is batched twice


@SQLITE_ONLY
def test_a_currency_without_a_payout_account_waits_and_agents_may_not_batch(app: App) -> None:
    with app.sessions.begin() as session:
        eu = make_operator(session, app.deps, "eu", code="op-eu-bare")
        closed_with_refund(session, app.deps, eu, account=EU_ACCOUNTS[0])
    with app.sessions.begin() as session:
        run = create_batches(session, app.deps, ADMIN)
        assert run.files == [] and run.skipped[0].reason == "no payout account for this currency"
        with pytest.raises(Forbidden):
            create_batches(session, app.deps, Actor(Role.AGENT, "a", Channel.SYSTEM))
        with pytest.raises(InvalidInput) as bad:
            set_payout_account(
                session, app.deps, ADMIN, "op-eu-bare", "EUR", "X", "DE00", "GKCCBEBB"
            )
        assert bad.value.extra["field"] == "iban"
    with app.sessions() as session:
        assert session.execute(select(func.count()).select_from(RefundBatch)).scalar_one() == 0


def _e2e_by_iban(content: bytes) -> dict[str, str]:
    root = etree.fromstring(content)
    return {
        tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS): tx.findtext(
            "p:PmtId/p:EndToEndId", namespaces=NS
        )
        for tx in root.findall(".//p:CdtTrfTxInf", NS)
    }


def _refund_states(app: App) -> list[str]:
    with app.sessions() as session:
        return sorted(v.status for v in list_refunds(session, ADMIN, app.deps.clock.now()))


def test_a_statement_pays_one_refund_returns_another_and_the_new_account_is_paid_next(
    app: App, worker: Worker
) -> None:
    setup_operators(app)
    first = _e2e_by_iban(_batch(app, "op-eu")["EUR"].content)
    paid, returned = first[EU_ACCOUNTS[0]], first[EU_ACCOUNTS[1]]

    with app.sessions.begin() as session:
        report = import_statement(session, app.deps, ADMIN, camt054(paid, returned))
    assert (report.source, report.paid, report.returned) == ("camt.054", [paid], [returned])
    assert [r.field for r in report.rejects] == ["end_to_end_id"]
    with app.sessions.begin() as session:
        again = import_statement(session, app.deps, ADMIN, camt054(paid, returned))
    assert again.unchanged == [paid, returned] and not again.paid and not again.returned

    worker.run_until_idle()
    mails = {m.to: m for m in app.deps.email.sent}  # type: ignore[attr-defined]
    texts = [m.body for m in app.deps.email.sent]  # type: ignore[attr-defined]
    assert "alt@example.org" in mails
    assert any("has been paid" in t for t in texts)
    asking = next(t for t in texts if "returned the refund" in t)
    assert "the account is closed" in asking
    token = asking.rsplit("/portal/refund-account/", 1)[1].split()[0]

    with app.sessions() as session:
        returned_views = list_refunds(session, ADMIN, app.deps.clock.now(), status="returned")
        assert [v.end_to_end_id for v in returned_views] == [returned]
        assert returned_views[0].return_reason == "AC04"
        link = account_link(session, app.deps, token)
        assert link.old_account_masked.startswith("FR") and "*" in link.old_account_masked
    with app.sessions.begin() as session, pytest.raises(InvalidInput):
        take_new_account(session, app.deps, token, "FR00 not an iban")
    with app.sessions.begin() as session:
        masked = take_new_account(session, app.deps, token, "NL91 ABNA 0417 1643 00")
    assert masked.startswith("NL")

    second = _e2e_by_iban(_batch(app, "op-eu")["EUR"].content)
    assert list(second) == ["NL91ABNA0417164300"]
    repay = second["NL91ABNA0417164300"]
    assert repay == returned[: -len("-1")] + "-2"
    with app.sessions.begin() as session:
        import_statement(session, app.deps, ADMIN, pain002(repay))
    # Both EUR refunds paid; the GBP and CNY ones wait for their own batches.
    assert _refund_states(app) == ["instructed", "instructed", "paid", "paid"]
    with app.sessions() as session:
        moves = (
            session.execute(
                select(models.AuditEntry.action)
                .where(models.AuditEntry.entity == "refund")
                .order_by(models.AuditEntry.id)
            )
            .scalars()
            .all()
        )
    assert moves.count("refund.returned") == 1 and moves.count("refund.paid") == 2
    assert "refund.account_changed" in moves


MT940 = """:20:STARTUMS
:25:BE68539007547034
:28C:00001/001
:60F:C261125EUR1000,00
:61:2611261126D25,00NTRFNONREF//B1
:86:166?00SEPA-UEBERWEISUNG?20EREF+{paid}?21SVWZ+Refund
:61:2611261126C10,10NRTINONREF//B2
:86:159?00RUECKUEBERWEISUNG?20EREF+{returned}?21SVWZ+AC04 Konto erloschen
:62F:C261126EUR984,90
"""


@SQLITE_ONLY
def test_an_mt940_statement_marks_debits_paid_and_credits_returned(app: App) -> None:
    setup_operators(app)
    first = _e2e_by_iban(_batch(app, "op-eu")["EUR"].content)
    paid, returned = first[EU_ACCOUNTS[0]], first[EU_ACCOUNTS[1]]
    data = MT940.format(paid=paid, returned=returned).encode()
    with app.sessions.begin() as session:
        report = import_statement(session, app.deps, ADMIN, data)
    assert (report.source, report.paid, report.returned) == ("mt940", [paid], [returned])
    with app.sessions() as session:
        reason = session.execute(
            select(RefundPayment.return_reason).where(RefundPayment.end_to_end_id == returned)
        ).scalar_one()
    assert reason == "AC04"


@SQLITE_ONLY
def test_unreadable_statements_change_nothing_and_marking_by_hand_works(app: App) -> None:
    setup_operators(app)
    first = _e2e_by_iban(_batch(app, "op-eu")["EUR"].content)
    with app.sessions.begin() as session:
        with pytest.raises(InvalidInput) as bad:
            import_statement(session, app.deps, ADMIN, b"<Document><Other/></Document>")
        assert bad.value.extra["field"] == "file"
        mark(session, app.deps, ADMIN, first[EU_ACCOUNTS[0]], "paid")
    assert _refund_states(app).count("paid") == 1


def test_retention_keeps_the_account_of_a_refund_until_it_is_paid(
    app: App, clock: FrozenClock
) -> None:
    with app.sessions.begin() as session:
        eu = make_operator(session, app.deps, "eu", code="op-eu-keep")
        set_payout_account(
            session, app.deps, ADMIN, eu.code, "EUR", "Lineclose EU", "BE68539007547034", "GKCCBEBB"
        )
        refund_id = closed_with_refund(session, app.deps, eu, account=EU_ACCOUNTS[0]).id
    e2e = _e2e_by_iban(_batch(app)["EUR"].content)[EU_ACCOUNTS[0]]
    clock.advance(timedelta(days=400))  # past the eu profile's 365 days
    with app.sessions.begin() as session:
        report = retention.sweep(session, app.deps)
    assert [k.reason for k in report.kept] == ["refund_unpaid"] and report.erased == []
    with app.sessions.begin() as session:
        mark(session, app.deps, ADMIN, e2e, "paid")
    with app.sessions.begin() as session:
        assert len(retention.sweep(session, app.deps).erased) == 1
    with app.sessions() as session:
        refund = session.get(models.RefundInstruction, refund_id)
        assert refund is not None and refund.account_enc is None and refund.status == "paid"


@SQLITE_ONLY
def test_a_refund_under_the_bank_minimum_is_handled_as_the_profile_says_and_the_subscriber_told(
    app: App, worker: Worker
) -> None:
    with app.sessions.begin() as session:
        eu = make_operator(session, app.deps, "eu", code="op-eu-min")
        set_payout_account(
            session, app.deps, ADMIN, eu.code, "EUR", "Lineclose EU", "BE68539007547034", "GKCCBEBB"
        )
        closed_with_refund(session, app.deps, eu, account=EU_ACCOUNTS[0], amount_minor=99)
        closed_with_refund(session, app.deps, eu, account=EU_ACCOUNTS[1], amount_minor=100)
    files = _batch(app)
    assert list(_e2e_by_iban(files["EUR"].content)) == [EU_ACCOUNTS[1]]
    with app.sessions() as session:
        views = list_refunds(session, ADMIN, app.deps.clock.now())
        assert sorted((v.amount_minor, v.disposition, v.status) for v in views) == [
            (99, "donate", "instructed"),
            (100, "payout", "batched"),
        ]
        assert session.execute(
            select(models.AuditEntry.details).where(
                models.AuditEntry.action == "refund.under_minimum"
            )
        ).scalar_one() == {"disposition": "donate", "minimum_minor": 100}
    worker.run_until_idle()
    texts = [m.body for m in app.deps.email.sent]  # type: ignore[attr-defined]
    assert any("under the bank's minimum" in t and "donated" in t for t in texts)
    assert _batch(app) == {}  # the donated refund never enters a batch
