"""Refund payouts over HTTP: the admin routes write the bank files, take the bank's answers and
list returned refunds; the portal page behind the returned-refund notice takes a new account."""

from __future__ import annotations

import re
import stat
from pathlib import Path

from fastapi.testclient import TestClient
from lxml import etree

from lineclose.bootstrap import App
from lineclose.services.context import Role
from lineclose.services.identity import open_console_session
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import staff
from tests.support.payouts import EU_ACCOUNTS, camt054, setup_operators

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_admin_batches_imports_a_statement_and_the_subscriber_gives_a_new_account(
    app: App, client: TestClient, worker: Worker, tmp_path: Path
) -> None:
    setup_operators(app)
    app.settings.payout_dir = tmp_path
    admin = staff(app, Role.ADMIN)
    agent = staff(app, Role.AGENT)

    assert client.post("/api/v1/refunds/batches", json={}, headers=agent).status_code == 403
    made = client.post("/api/v1/refunds/batches", json={"operator": "op-eu"}, headers=admin)
    assert made.status_code == 201, made.text
    (batch,) = made.json()["batches"]
    path = tmp_path / batch["file"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    root = etree.parse(str(path)).getroot()
    e2e = {
        tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS): tx.findtext(
            "p:PmtId/p:EndToEndId", namespaces=NS
        )
        for tx in root.findall(".//p:CdtTrfTxInf", NS)
    }
    paid, returned = e2e[EU_ACCOUNTS[0]], e2e[EU_ACCOUNTS[1]]

    bad = client.post(
        "/api/v1/refunds/statements", files={"file": ("x.txt", b"hello")}, headers=admin
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    imported = client.post(
        "/api/v1/refunds/statements",
        files={"file": ("camt.xml", camt054(paid, returned, "BE01"))},
        headers=admin,
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["paid"] == [paid] and imported.json()["returned"] == [returned]

    assert client.get("/console/refunds", follow_redirects=False).status_code == 303
    with app.sessions.begin() as session:
        console_id, _ = open_console_session(session, app.deps, agent["Authorization"].split()[1])
    client.cookies.set("lc_staff", console_id)
    console = client.get("/console/refunds")
    assert console.status_code == 200 and returned in console.text and "BE01" in console.text
    assert EU_ACCOUNTS[1] not in console.text
    client.cookies.delete("lc_staff")

    listed = client.get("/api/v1/refunds", params={"status": "returned"}, headers=agent).json()
    assert [r["end_to_end_id"] for r in listed["refunds"]] == [returned]
    assert listed["refunds"][0]["return_reason"] == "BE01"
    assert EU_ACCOUNTS[1] not in str(listed)  # masked only
    wrong = client.get("/api/v1/refunds", params={"status": "lost"}, headers=agent)
    assert wrong.status_code == 422

    worker.run_until_idle()
    asking = next(m.body for m in app.deps.email.sent if "returned" in m.body)  # type: ignore[attr-defined]
    assert "name does not match" in asking
    link = "/" + asking.split("://", 1)[1].split("/", 1)[1].split()[0]
    shown = client.get(link)
    assert shown.status_code == 200 and "FR" in shown.text
    refused = client.post(link, data={"account": "12", "csrf": _csrf(shown.text)})
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
    taken = client.post(link, data={"account": "NL91ABNA0417164300", "csrf": _csrf(refused.text)})
    assert taken.status_code == 200 and "NL" in taken.text
    assert client.get(link).status_code == 404  # the link is spent

    again = client.post("/api/v1/refunds/batches", json={"operator": "op-eu"}, headers=admin)
    (second,) = again.json()["batches"]
    assert second["refunds"] == 1
    repay = returned[:-2] + "-2"
    marked = client.post(
        f"/api/v1/refunds/payments/{repay}", json={"status": "paid"}, headers=admin
    )
    assert marked.status_code == 200 and marked.json()["paid"] == [repay]
    unknown = client.post("/api/v1/refunds/payments/NOPE-1", json={"status": "paid"}, headers=admin)
    assert unknown.status_code == 404
