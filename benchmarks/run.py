"""`make bench`: each Lineclose figure beside a baseline measured in the same run, as a ratio.

- precheck + submit through the HTTP API vs a bare FastAPI endpoint, both served by uvicorn
  on loopback and called by the same httpx client;
- submit through the service layer vs raw sqlite3 INSERT + COMMIT of one row;
- bulk precheck of 100,000 lines vs raw sqlite3 reads of the same rows;
- reassigned-number checks through the database vs a NumPy sorted-array lookup;
- closure certificates (PDF) per second vs the same page with no text or QR code.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table
from sqlalchemy import insert, select

from lineclose.bootstrap import App, bootstrap
from lineclose.config import Settings
from lineclose.db import models
from lineclose.db.migrate import upgrade
from lineclose.domain.facts import IdentityMethod
from lineclose.security.vault import new_key_line
from lineclose.services import numbers
from lineclose.services.bulk import bulk_precheck
from lineclose.services.closure import ClosureInput, submit
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.identity import IdentityEvidence, create_staff_token
from lineclose.services.provisioning import LineSpec, add_operator, add_subscriber
from lineclose.services.seed import iccid
from lineclose.web.app import create_app

sys.path.insert(0, str(Path(__file__).parent))

console = Console()
BULK_LINES = int(os.environ.get("BENCH_BULK_LINES", "100000"))
API_PAIRS = int(os.environ.get("BENCH_API_PAIRS", "300"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(app: FastAPI) -> tuple[uvicorn.Server, str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return server, f"http://127.0.0.1:{port}"


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def build(tmp: Path) -> App:
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    settings = Settings(
        database_url=url,
        data_keys=SecretStr(new_key_line("k1")),
        hlr_backend="fake",
        sms_backend="fake",
        email_backend="fake",
        # The benchmark measures the work, not the limits that protect it.
        precheck_per_minute=10_000_000,
    )
    return bootstrap(settings)


def seed_lines(app: App, count: int, first: int) -> tuple[int, list[str]]:
    """Insert lines in batches with Core: 5% with an unpaid bill, 5% bound apps, 2% a contract."""
    now = datetime.now(UTC)
    with app.sessions.begin() as session:
        operator = session.execute(select(models.Operator)).scalars().first()
        if operator is None:
            operator = add_operator(session, app.deps, "bench", "Bench Mobile", "cn")
        subscriber = add_subscriber(
            session, app.deps, operator, LineSpec(msisdn="", iccid="", imsi="", holder_name="张伟")
        )
        rows = [
            {
                "operator_id": operator.id,
                "subscriber_id": subscriber.id,
                "msisdn": f"+86139{n:08d}",
                "iccid": iccid(n),
                "imsi": f"46001{n:010d}",
                "kind": "sim",
                "payment": "postpaid" if n % 3 else "prepaid",
                "status": "active",
                "currency": "CNY",
                "monthly_fee_minor": 5_800,
                "billing_day": 1 + n % 28,
                "paid_credit_minor": n % 10_000,
                "promo_credit_minor": 0,
                "unbilled_usage_minor": n % 700,
                "legal_hold": False,
                "lost_reported": False,
                "activated_on": date(2022, 1, 1),
            }
            for n in range(first, first + count)
        ]
        session.execute(insert(models.Line), rows)
        ids = list(
            session.execute(
                select(models.Line.id, models.Line.msisdn)
                .where(models.Line.operator_id == operator.id)
                .order_by(models.Line.id)
            ).all()
        )
        line_ids = [i for i, _ in ids]
        today = now.date()
        session.execute(
            insert(models.Bill),
            [
                {
                    "line_id": i,
                    "kind": "periodic",
                    "period_start": today,
                    "period_end": today,
                    "amount_minor": 5_800,
                    "currency": "CNY",
                    "due_on": today,
                    "lines_json": [],
                }
                for i in line_ids[::20]
            ],
        )
        session.execute(
            insert(models.Binding),
            [
                {
                    "line_id": i,
                    "service": "Alipay",
                    "category": "payment",
                    "notify_on_closure": False,
                    "bound_on": today,
                }
                for i in line_ids[1::20]
            ],
        )
        session.execute(
            insert(models.Contract),
            [
                {
                    "line_id": i,
                    "commitment_end": today + timedelta(days=200),
                    "etf_rule": "fixed",
                    "etf_fixed_minor": 10_000,
                    "etf_monthly_minor": 0,
                    "processing_fee_minor": 0,
                }
                for i in line_ids[2::50]
            ],
        )
        session.execute(
            insert(models.Number),
            [
                {"msisdn": m, "operator_id": operator.id, "state": "assigned", "updated_at": now}
                for _, m in ids
            ],
        )
        return operator.id, [m for _, m in ids]


def bench_api(app: App, msisdns: list[str]) -> tuple[float, float]:
    with app.sessions.begin() as session:
        token = create_staff_token(session, app.deps.clock.now(), "bench-agent", Role.AGENT)
    headers = {"Authorization": f"Bearer {token}"}
    bare = FastAPI()

    @bare.post("/echo")
    def echo(body: dict[str, object]) -> dict[str, object]:
        return {"ok": True, **body}

    lineclose_server, lineclose_url = serve(create_app(app))
    bare_server, bare_url = serve(bare)
    try:
        with httpx.Client(timeout=30) as http:

            def product() -> None:
                for msisdn in msisdns:
                    http.post(
                        f"{lineclose_url}/api/v1/precheck", json={"msisdn": msisdn}, headers=headers
                    ).raise_for_status()
                    http.post(
                        f"{lineclose_url}/api/v1/closure-requests",
                        json={
                            "msisdn": msisdn,
                            "channel": "store",
                            "alternate_contact": "a@example.org",
                            "refund_account": "6222020200112233445",
                            "identity": [{"method": "id_document_seen"}],
                        },
                        headers={**headers, "Idempotency-Key": f"bench-{msisdn}"},
                    ).raise_for_status()

            def baseline() -> None:
                for msisdn in msisdns:
                    http.post(f"{bare_url}/echo", json={"msisdn": msisdn}).raise_for_status()
                    http.post(f"{bare_url}/echo", json={"msisdn": msisdn}).raise_for_status()

            baseline()  # warm both paths once
            return timed(product) / len(msisdns), timed(baseline) / len(msisdns)
    finally:
        lineclose_server.should_exit = True
        bare_server.should_exit = True


def bench_submit_service(app: App, msisdns: list[str], tmp: Path) -> tuple[float, float]:
    agent = Actor(Role.AGENT, "bench", Channel.STORE)
    given = ClosureInput(
        alternate_contact="a@example.org",
        refund_account="6222020200112233445",
        identity=(IdentityEvidence(IdentityMethod.ID_DOCUMENT_SEEN),),
    )

    def product() -> None:
        for msisdn in msisdns:
            with app.sessions.begin() as session:
                submit(session, app.deps, agent, msisdn, given)

    raw = sqlite3.connect(tmp / "raw.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=NORMAL")
    raw.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, msisdn TEXT, body TEXT)")

    def baseline() -> None:
        for msisdn in msisdns:
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("INSERT INTO t (msisdn, body) VALUES (?, ?)", (msisdn, "x" * 200))
            raw.execute("COMMIT")

    return timed(product) / len(msisdns), timed(baseline) / len(msisdns)


def bench_bulk(app: App, operator_id: int, tmp: Path) -> tuple[float, float, int]:
    verdicts = 0

    def product() -> None:
        nonlocal verdicts
        with app.sessions() as session:
            operator = session.get(models.Operator, operator_id)
            assert operator is not None
            verdicts = sum(1 for _ in bulk_precheck(session, app.deps, operator))

    def baseline() -> None:
        raw = sqlite3.connect(tmp / "bench.db")
        for table in ("lines", "bills", "bindings", "contracts"):
            raw.execute(f"SELECT * FROM {table}").fetchall()
        raw.close()

    baseline()
    return timed(product), timed(baseline), verdicts


def bench_recycling(app: App, msisdns: list[str]) -> tuple[float, float]:
    sample = msisdns[:1000]
    since = date(2026, 1, 1)

    def product() -> None:
        with app.sessions() as session:
            for msisdn in sample:
                numbers.recycled_since(session, msisdn, since)

    keys = np.sort(np.array([int(m[1:]) for m in msisdns], dtype=np.int64))
    wanted = np.array([int(m[1:]) for m in sample], dtype=np.int64)

    def baseline() -> None:
        for value in wanted:
            index = int(np.searchsorted(keys, value))
            _ = index < len(keys) and keys[index] == value

    return timed(product) / len(sample), timed(baseline) / len(sample)


def bench_certificates() -> tuple[float, float]:
    from bench_certificates import measure, measure_blank

    return measure(200), measure_blank(200)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        app = build(tmp)
        console.print(f"seeding {BULK_LINES:,} lines ...")
        operator_id, msisdns = seed_lines(app, BULK_LINES, 1)
        table = Table("figure", "Lineclose", "baseline", "ratio")
        api, bare = bench_api(app, msisdns[:API_PAIRS])
        table.add_row(
            "precheck + submit over HTTP (per line)",
            f"{api * 1000:.2f} ms",
            f"{bare * 1000:.2f} ms (bare FastAPI, 2 calls)",
            f"{api / bare:.1f}x",
        )
        service, raw = bench_submit_service(app, msisdns[API_PAIRS : API_PAIRS * 2], tmp)
        table.add_row(
            "submit through the service layer",
            f"{service * 1000:.2f} ms",
            f"{raw * 1000:.3f} ms (raw sqlite3 insert+commit)",
            f"{service / raw:.1f}x",
        )
        bulk, reads, verdicts = bench_bulk(app, operator_id, tmp)
        table.add_row(
            f"bulk precheck of {verdicts:,} lines",
            f"{bulk:.2f} s ({verdicts / bulk:,.0f}/s)",
            f"{reads:.2f} s (raw sqlite3 reads)",
            f"{bulk / reads:.1f}x",
        )
        check, lookup = bench_recycling(app, msisdns)
        table.add_row(
            "reassigned-number check",
            f"{check * 1e6:.0f} µs",
            f"{lookup * 1e6:.1f} µs (NumPy searchsorted)",
            f"{check / lookup:.0f}x",
        )
        rate, blank = bench_certificates()
        table.add_row(
            "closure certificates (PDF)",
            f"{rate:.0f}/s",
            f"{blank:.0f}/s (empty reportlab page)",
            f"{blank / rate:.1f}x",
        )
        console.print(table)
        app.engine.dispose()


if __name__ == "__main__":
    main()
