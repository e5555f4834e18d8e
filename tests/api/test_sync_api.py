"""The sync API: each resource under its scope, refused without it; idempotent by the
source's own keys; bad values named by field; provisioning refusals as for any new line."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.db.models_data_in import LegalHold, LineActivity
from lineclose.services.context import Role, Scope
from lineclose.services.seed import cn_id_number, iccid
from tests.support.data_in import operator, token

MSISDN = "+8613901009001"
LINE = {
    "iccid": iccid(900_001),
    "imsi": "460000000900001",
    "subscriber_ref": "CRM-1",
    "name": "周敏",
    "id_number": cn_id_number("110105", date(1988, 5, 4), 321),
    "payment": "postpaid",
    "monthly_fee_minor": 5_000,
    "activated_on": "2024-01-01",
}


def call(
    client: TestClient, method: str, path: str, headers: dict[str, str], body: Any = None
) -> Any:
    return client.request(method, f"/api/v1{path}", json=body, headers=headers)


def test_every_resource_is_written_under_its_scope_and_refused_without_it(
    app: App, client: TestClient
) -> None:
    code = operator(app, "cn")
    scoped = {
        scope: token(app, scope, operator_code=code)
        for scope in (Scope.LINES_WRITE, Scope.LEDGER_WRITE, Scope.HOLDS_WRITE)
    }
    reader = token(app, Scope.CLOSURE_READ, operator_code=code)
    bill = {
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
        "amount_minor": 5_000,
        "currency": "CNY",
        "due_on": "2026-11-10",
    }
    steps: list[tuple[Scope, str, str, Any]] = [
        (Scope.LINES_WRITE, "PUT", f"/lines/{MSISDN}", LINE),
        (Scope.LEDGER_WRITE, "PUT", f"/lines/{MSISDN}/bills/B-1", bill),
        (
            Scope.LEDGER_WRITE,
            "PUT",
            f"/lines/{MSISDN}/payments/P-1",
            {"bill_id": "B-1", "amount_minor": 5_000, "currency": "CNY", "paid_on": "2026-11-05"},
        ),
        (Scope.LEDGER_WRITE, "PUT", f"/lines/{MSISDN}/balance", {"paid_credit_minor": 700}),
        (
            Scope.LEDGER_WRITE,
            "PUT",
            f"/lines/{MSISDN}/unbilled-usage",
            {"unbilled_usage_minor": 120},
        ),
        (Scope.LINES_WRITE, "PUT", f"/lines/{MSISDN}/last-usage", {"last_usage_on": "2026-11-20"}),
        (
            Scope.LINES_WRITE,
            "PUT",
            f"/lines/{MSISDN}/bindings/PayApp",
            {
                "category": "payment",
                "notify_url": "https://hooks.pay.example/n",
                "bound_on": "2025-01-01",
            },
        ),
        (
            Scope.HOLDS_WRITE,
            "PUT",
            f"/lines/{MSISDN}/legal-hold",
            {
                "reason": "court order 2026-17",
                "requested_by": "Clerk Wu",
                "placed_on": "2026-11-01",
            },
        ),
        (Scope.LINES_WRITE, "PUT", f"/lines/{MSISDN}/lost-report", {"reported_on": "2026-11-21"}),
    ]
    for scope, method, path, body in steps:
        refused = call(client, method, path, reader, body)
        assert refused.status_code == 403, (path, refused.text)
        assert refused.json()["code"] == "role_not_allowed"
        other = next(s for s in scoped if s is not scope)
        assert call(client, method, path, scoped[other], body).status_code == 403, path
        done = call(client, method, path, scoped[scope], body)
        assert done.status_code == 201, (path, done.text)
        assert done.json()["outcome"] == "inserted"
        again = call(client, method, path, scoped[scope], body)
        assert (again.status_code, again.json()["outcome"]) == (200, "unchanged"), path

    with app.sessions() as session:
        line = session.execute(select(models.Line).where(models.Line.msisdn == MSISDN)).scalar_one()
        assert (line.paid_credit_minor, line.unbilled_usage_minor) == (700, 120)
        assert line.legal_hold and line.lost_reported
        assert session.get(LineActivity, line.id).last_usage_on == date(2026, 11, 20)  # type: ignore[union-attr]
        paid = session.execute(
            select(models.Bill.paid_at).where(models.Bill.line_id == line.id)
        ).scalar_one()
        assert paid is not None
        assert app.deps.hlr.lookup(line.imsi) is not None

    # The way back: unbind, lift the hold, found; each under its scope, each idempotent.
    lines_w, holds_w = scoped[Scope.LINES_WRITE], scoped[Scope.HOLDS_WRITE]
    assert call(client, "DELETE", f"/lines/{MSISDN}/bindings/PayApp", reader).status_code == 403
    unbound = call(client, "DELETE", f"/lines/{MSISDN}/bindings/PayApp", lines_w)
    assert unbound.json() | {"reevaluated": []} == {
        "kind": "bindings",
        "outcome": "updated",
        "changed": ["unbound_on"],
        "reevaluated": [],
    }
    lift = {"requested_by": "Clerk Wu", "reason": "order lifted"}
    assert (
        call(client, "POST", f"/lines/{MSISDN}/legal-hold/lift", lines_w, lift).status_code == 403
    )
    lifted = call(client, "POST", f"/lines/{MSISDN}/legal-hold/lift", holds_w, lift)
    assert lifted.status_code == 200 and "lifted_on" in lifted.json()["changed"]
    assert call(client, "DELETE", f"/lines/{MSISDN}/lost-report", reader).status_code == 403
    assert call(client, "DELETE", f"/lines/{MSISDN}/lost-report", lines_w).status_code == 200
    with app.sessions() as session:
        line = session.execute(select(models.Line).where(models.Line.msisdn == MSISDN)).scalar_one()
        assert not line.legal_hold and not line.lost_reported
        hold = session.execute(select(LegalHold).where(LegalHold.line_id == line.id)).scalar_one()
        # Sealed: not the name in clear (a two-letter piece of it can occur in base64 by
        # chance), and it opens to the name.
        assert hold.requested_by_enc and "Clerk Wu" not in hold.requested_by_enc
        assert app.deps.vault.decrypt(hold.requested_by_enc) == "Clerk Wu"
        actions = set(session.execute(select(models.AuditEntry.action)).scalars())
        assert {"data.inserted", "data.updated"} <= actions


def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
    app: App, client: TestClient
) -> None:
    code = operator(app, "cn")
    writer = token(app, Scope.LINES_WRITE, Scope.LEDGER_WRITE, operator_code=code)
    bad = call(client, "PUT", f"/lines/{MSISDN}", writer, {**LINE, "iccid": "8986001"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert (bad.json()["code"], bad.json()["field"]) == ("invalid_value", "iccid")
    unknown = call(client, "PUT", f"/lines/{MSISDN}", writer, {**LINE, "colour": "red"})
    assert unknown.status_code == 422 and "colour" in unknown.json()["detail"]
    missing = call(client, "PUT", f"/lines/{MSISDN}/balance", writer, {"paid_credit_minor": 5})
    assert (missing.status_code, missing.json()["field"]) == (404, "msisdn")
    with app.sessions() as session:
        assert session.execute(select(models.Line)).first() is None
        assert session.execute(select(models.Subscriber)).first() is None


def test_a_number_still_aging_or_ported_out_is_not_given_to_a_new_line(
    app: App, client: TestClient
) -> None:
    code = operator(app, "cn")
    writer = token(app, Scope.LINES_WRITE, operator_code=code)
    with app.sessions.begin() as session:
        operator_id = session.execute(select(models.Operator.id)).scalar_one()
        now = app.deps.clock.now()
        session.add(
            models.Number(
                msisdn=MSISDN,
                operator_id=operator_id,
                state="aging",
                aging_until=now.date() + timedelta(days=30),
                updated_at=now,
            )
        )
        session.add(
            models.Number(
                msisdn="+8613901009002", operator_id=operator_id, state="ported_out", updated_at=now
            )
        )
    aging = call(client, "PUT", f"/lines/{MSISDN}", writer, LINE)
    assert (aging.status_code, aging.json()["code"], aging.json()["field"]) == (
        409,
        "number_still_aging",
        "msisdn",
    )
    ported = call(
        client,
        "PUT",
        "/lines/+8613901009002",
        writer,
        {**LINE, "iccid": iccid(900_002), "imsi": "460000000900002"},
    )
    assert (ported.status_code, ported.json()["code"]) == (409, "number_ported_out")


def test_a_token_acts_only_for_its_own_operator(app: App, client: TestClient) -> None:
    mine = operator(app, "cn", "mine")
    operator(app, "cn", "theirs")
    writer = token(app, Scope.LINES_WRITE, operator_code=mine)
    refused = call(client, "PUT", f"/lines/{MSISDN}?operator=theirs", writer, LINE)
    assert (refused.status_code, refused.json()["code"]) == (403, "other_operator")
    admin = token(app, role=Role.ADMIN)
    unnamed = call(client, "PUT", f"/lines/{MSISDN}", admin, LINE)
    assert (unnamed.status_code, unnamed.json()["field"]) == (422, "operator")
    assert call(client, "PUT", f"/lines/{MSISDN}?operator=theirs", admin, LINE).status_code == 201


def test_a_number_given_to_a_new_line_gets_its_facts_even_when_they_repeat(
    app: App, client: TestClient
) -> None:
    code = operator(app, "cn")
    writer = token(app, Scope.LINES_WRITE, Scope.LEDGER_WRITE, operator_code=code)
    assert call(client, "PUT", f"/lines/{MSISDN}", writer, LINE).status_code == 201
    balance = {"paid_credit_minor": 700}
    assert call(client, "PUT", f"/lines/{MSISDN}/balance", writer, balance).status_code == 201
    with app.sessions.begin() as session:  # the old line closed and its number aged
        old = session.execute(select(models.Line).where(models.Line.msisdn == MSISDN)).scalar_one()
        old.status = "closed"
        number = session.get(models.Number, MSISDN)
        assert number is not None
        number.state = "available"
    app.deps.hlr.purge(str(LINE["imsi"]), "test:purge")
    fresh = {**LINE, "iccid": iccid(900_003), "imsi": "460000000900003", "subscriber_ref": "CRM-2"}
    assert call(client, "PUT", f"/lines/{MSISDN}", writer, fresh).json()["outcome"] == "inserted"
    again = call(client, "PUT", f"/lines/{MSISDN}/balance", writer, balance)
    assert again.json()["outcome"] == "updated"
    with app.sessions() as session:
        new = session.execute(
            select(models.Line).where(models.Line.msisdn == MSISDN, models.Line.status == "active")
        ).scalar_one()
        assert new.paid_credit_minor == 700 and new.imsi == "460000000900003"
