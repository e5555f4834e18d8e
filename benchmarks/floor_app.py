"""The *floor*: a minimal FastAPI + SQLAlchemy app doing the reads and writes of a precheck and
a submit, and nothing else. Lineclose's figures are measured against it in the same run.

Precheck reads the line and its four kinds of facts (unpaid bills, contract, bindings, open
orders). Submit does the same reads, then writes the request, two history rows, an audit
entry and two outbox rows in one transaction. Served by uvicorn like `lineclose serve`:

    python benchmarks/floor_app.py --url sqlite:///var/floor.db --port 8100 [--seed 10000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
)

metadata = MetaData()
lines = Table(
    "lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("msisdn", String(16), index=True),
    Column("status", String(16)),
    Column("payment", String(16)),
    Column("monthly_fee_minor", BigInteger),
    Column("paid_credit_minor", BigInteger),
    Column("unbilled_usage_minor", BigInteger),
    Column("legal_hold", Boolean),
    Column("lost_reported", Boolean),
)
bills = Table(
    "bills",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("line_id", ForeignKey("lines.id"), index=True),
    Column("amount_minor", BigInteger),
    Column("due_on", Date),
    Column("paid_at", DateTime, nullable=True),
)
contracts = Table(
    "contracts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("line_id", ForeignKey("lines.id"), unique=True),
    Column("commitment_end", Date),
    Column("etf_fixed_minor", BigInteger),
)
bindings = Table(
    "bindings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("line_id", ForeignKey("lines.id"), index=True),
    Column("service", String(100)),
    Column("unbound_on", Date, nullable=True),
)
orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("line_id", ForeignKey("lines.id"), index=True),
    Column("reference", String(40)),
    Column("status", String(16)),
)
requests = Table(
    "requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reference", String(24), unique=True),
    Column("line_id", ForeignKey("lines.id"), index=True),
    Column("status", String(16)),
    Column("quote", JSON),
    Column("created_at", DateTime),
)
history = Table(
    "history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", ForeignKey("requests.id"), index=True),
    Column("to_status", String(16)),
    Column("at", DateTime),
)
audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("action", String(48)),
    Column("entity_id", String(40)),
    Column("details", JSON),
    Column("hash", String(64)),
)
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", ForeignKey("requests.id"), index=True),
    Column("step", String(32)),
    Column("idempotency_key", String(120), unique=True),
    Column("payload", JSON),
    Column("status", String(16)),
    Column("available_at", DateTime),
)


def seed(engine: Engine, count: int) -> None:
    """The same lines and facts as benchmarks/common.seed_lines: 5 % unpaid bill, 5 % bound
    app, 2 % contract."""
    metadata.create_all(engine)
    today = date.today()
    with engine.begin() as connection:
        connection.execute(
            insert(lines),
            [
                {
                    "id": n,
                    "msisdn": f"+86139{n:08d}",
                    "status": "active",
                    "payment": "postpaid" if n % 3 else "prepaid",
                    "monthly_fee_minor": 5_800,
                    "paid_credit_minor": n % 10_000,
                    "unbilled_usage_minor": n % 700,
                    "legal_hold": False,
                    "lost_reported": False,
                }
                for n in range(1, count + 1)
            ],
        )
        ids = range(1, count + 1)
        connection.execute(
            insert(bills),
            [{"line_id": i, "amount_minor": 5_800, "due_on": today} for i in ids[::20]],
        )
        connection.execute(
            insert(bindings), [{"line_id": i, "service": "Alipay"} for i in ids[1::20]]
        )
        connection.execute(
            insert(contracts),
            [
                {
                    "line_id": i,
                    "commitment_end": today + timedelta(days=200),
                    "etf_fixed_minor": 10_000,
                }
                for i in ids[2::50]
            ],
        )


class Ask(BaseModel):
    msisdn: str


def _facts(connection: Any, msisdn: str) -> dict[str, Any]:
    line = connection.execute(select(lines).where(lines.c.msisdn == msisdn)).mappings().first()
    if line is None:
        raise HTTPException(404, "no such line")
    line_id = line["id"]
    unpaid = connection.execute(
        select(bills).where(bills.c.line_id == line_id, bills.c.paid_at.is_(None))
    ).all()
    contract = connection.execute(select(contracts).where(contracts.c.line_id == line_id)).first()
    bound = connection.execute(
        select(bindings).where(bindings.c.line_id == line_id, bindings.c.unbound_on.is_(None))
    ).all()
    open_orders = connection.execute(
        select(orders).where(orders.c.line_id == line_id, orders.c.status == "open")
    ).all()
    blockers = []
    if unpaid:
        blockers.append("ARREARS")
    if contract is not None and contract.commitment_end > date.today():
        blockers.append("COMMITMENT_ACTIVE")
    if bound:
        blockers.append("BINDINGS_PRESENT")
    if open_orders:
        blockers.append("OPEN_ORDER")
    refund = line["paid_credit_minor"] - line["unbilled_usage_minor"]
    return {"line_id": line_id, "blockers": blockers, "refund_minor": max(refund, 0)}


def make_app(url: str) -> FastAPI:
    engine = create_engine(url, pool_size=42, max_overflow=8)
    api = FastAPI()

    @api.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.post("/precheck")
    def precheck(ask: Ask) -> dict[str, Any]:
        with engine.connect() as connection:
            return _facts(connection, ask.msisdn)

    @api.post("/submit", status_code=201)
    def submit(ask: Ask) -> dict[str, Any]:
        now = datetime.now(UTC).replace(tzinfo=None)
        with engine.begin() as connection:
            facts = _facts(connection, ask.msisdn)
            reference = "LC-" + secrets.token_hex(5).upper()
            status = "needs_action" if facts["blockers"] else "under_review"
            request_id = connection.execute(
                insert(requests)
                .values(
                    reference=reference,
                    line_id=facts["line_id"],
                    status=status,
                    quote=facts,
                    created_at=now,
                )
                .returning(requests.c.id)
            ).scalar_one()
            connection.execute(
                insert(history),
                [
                    {"request_id": request_id, "to_status": "submitted", "at": now},
                    {"request_id": request_id, "to_status": status, "at": now},
                ],
            )
            digest = hashlib.sha256(json.dumps(facts).encode()).hexdigest()
            connection.execute(
                insert(audit).values(
                    action="request.submitted", entity_id=reference, details=facts, hash=digest
                )
            )
            connection.execute(
                insert(outbox),
                [
                    {
                        "request_id": request_id,
                        "step": step,
                        "idempotency_key": f"{request_id}:{step}",
                        "payload": {"reference": reference},
                        "status": "pending",
                        "available_at": now,
                    }
                    for step in ("send_sms", "send_email")
                ],
            )
        return {"reference": reference, "status": status, **facts}

    return api


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.seed:
        seed(create_engine(args.url), args.seed)
    uvicorn.run(make_app(args.url), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
