"""The documented product characteristics carry a whole closure in the order: identity evidence,
ETF acceptance, acknowledged bindings and the refund account complete a clean order with no other
call; term-end scheduling sets the closure date."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.services.context import Role, Scope
from lineclose.worker.dispatcher import Worker
from tests.api.standards_support import needs_tmf622, token
from tests.api.tmf_checks import BASE, checked, refused
from tests.factories import SERVICE_PASSWORD, make_line, make_operator

pytestmark = needs_tmf622

SYSTEM = frozenset({Scope.CLOSURE_SUBMIT, Scope.CLOSURE_READ})
CONTRACT = {"commitment_end": date(2027, 6, 30), "etf_rule": "fixed", "etf_fixed_minor": 9_900}


def order(msisdn: str, **characteristics: Any) -> dict[str, Any]:
    listed = [{"name": "msisdn", "value": msisdn}]
    listed += [{"name": name, "value": value} for name, value in characteristics.items()]
    return {
        "notificationContact": "holder@example.org",
        "productOrderItem": [
            {"id": "1", "action": "delete", "product": {"productCharacteristic": listed}}
        ],
    }


def test_characteristics_carry_everything_a_clean_closure_needs(
    app: App, client: TestClient, worker: Worker
) -> None:
    contract = CONTRACT
    with app.sessions.begin() as session:
        operator = make_operator(
            session,
            app.deps,
            auto_approval={
                "enabled": True,
                "identity_methods": ["service_password"],
                "max_refund_minor": 100_000,
            },
        )
        committed = make_line(
            session,
            app.deps,
            operator,
            payment="postpaid",
            paid_credit_minor=20_000,
            contract=contract,
            bindings=[{"service": "Alipay", "category": "payment"}],
        )
        at_term_end = make_line(session, app.deps, operator, payment="postpaid", contract=contract)
        binding = session.execute(
            select(models.Binding.id).where(models.Binding.line_id == committed.id)
        ).scalar_one()
        msisdn, later, operator_id = committed.msisdn, at_term_end.msisdn, operator.id
    system = token(app, Role.INTEGRATION, operator_id, SYSTEM)
    evidence = [{"method": "service_password", "value": SERVICE_PASSWORD}]
    orders = f"{BASE}/productOrder"

    # every blocker answered but the refund destination: refused, nothing created
    partial = order(
        msisdn,
        identityEvidence=evidence,
        acceptEarlyTerminationFee=True,
        acknowledgedBindings=[binding],
    )
    refused(
        client.post(orders, json=partial, headers=system),
        "POST",
        "/productOrder",
        400,
        "refund_account_required",
    )
    complete = order(
        msisdn,
        identityEvidence=evidence,
        acceptEarlyTerminationFee=True,
        acknowledgedBindings=[binding],
        refundAccount="DE89 3704 0044 0532 0130 00",
    )
    created = checked(client.post(orders, json=complete, headers=system), "POST", "/productOrder")
    assert created["state"] == "inProgress"
    shown = {
        c["name"]: c["value"]
        for c in created["productOrderItem"][0]["product"]["productCharacteristic"]
    }
    assert "0532" not in str(shown["refundAccount"])  # masked in the echo
    assert shown["acknowledgedBindings"] == [binding] and shown["acceptEarlyTerminationFee"]

    scheduled = checked(
        client.post(
            orders,
            json=order(later, identityEvidence=evidence, scheduleAtTermEnd=True),
            headers=system,
        ),
        "POST",
        "/productOrder",
    )
    assert scheduled["state"] == "inProgress"
    assert scheduled["requestedCompletionDate"].startswith("2027-06-30")

    worker.run_until_idle()
    done = client.get(f"{orders}/{created['id']}", headers=system).json()
    assert done["state"] == "completed"
    waiting = client.get(f"{orders}/{scheduled['id']}", headers=system).json()
    assert waiting["state"] == "inProgress" and waiting["expectedCompletionDate"].startswith(
        "2027-06-30"
    )
