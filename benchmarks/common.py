"""What every benchmark shares: sizes from the environment, the databases, the seeded lines
and the figure format of var/bench.json.

Sizes: `BENCH_QUICK=1` picks the quick set (`make bench-quick`, under 3 minutes); any single
size can be overridden by its own variable (`BENCH_API_PAIRS=500`, ...). PostgreSQL figures
need a server: `BENCH_PG_ADMIN_URL` (default postgres@127.0.0.1:5432), skipped when absent.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from lineclose.bootstrap import App, bootstrap
from lineclose.config import Settings
from lineclose.db import models
from lineclose.db.migrate import upgrade
from lineclose.security.vault import new_key_line
from lineclose.services.provisioning import LineSpec, add_operator, add_subscriber
from lineclose.services.seed import iccid

QUICK = os.environ.get("BENCH_QUICK") == "1"
KEYS = new_key_line("k1")

_FULL = {
    "BENCH_API_PAIRS": 300,
    "BENCH_LOAD_SECONDS": 20,
    "BENCH_LOAD_CLIENTS": 32,
    "BENCH_BULK_LINES": 100_000,
    "BENCH_CLOSE_CARDS": 10_000,
    "BENCH_SWEEP_SMALL": 10_000,
    "BENCH_SWEEP_LARGE": 10_000_000,
    "BENCH_IMPORT_SIZE": 1_000_000,
    "BENCH_REASSIGNED_SIZE": 250_000,
    "BENCH_HLR_BARS": 10_000,
    "BENCH_FLEET_RUN_CARDS": 100_000,
    "BENCH_FLEET_RUN_WORKERS": 2,
}
_QUICK = {
    "BENCH_API_PAIRS": 40,
    "BENCH_LOAD_SECONDS": 5,
    "BENCH_LOAD_CLIENTS": 32,
    "BENCH_BULK_LINES": 10_000,
    "BENCH_CLOSE_CARDS": 200,
    "BENCH_SWEEP_SMALL": 10_000,
    "BENCH_SWEEP_LARGE": 50_000,
    "BENCH_IMPORT_SIZE": 20_000,
    "BENCH_REASSIGNED_SIZE": 25_000,
    "BENCH_HLR_BARS": 1_000,
    "BENCH_FLEET_RUN_CARDS": 2_000,
    "BENCH_FLEET_RUN_WORKERS": 2,
}


def size(name: str) -> int:
    default = (_QUICK if QUICK else _FULL)[name]
    return int(os.environ.get(name, str(default)))


@dataclass
class Figure:
    """`value` and `baseline` in the same unit; `ratio` = value / baseline, where lower is
    better; a figure meets its target when the ratio is at most `target` with no errors."""

    value: float
    baseline: float
    target: float
    unit: str = "s"
    note: str = ""
    errors: int = 0

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")

    def as_json(self) -> dict[str, Any]:
        return {
            "value": round(self.value, 6),
            "baseline": round(self.baseline, 6),
            "ratio": round(self.ratio, 3),
            "target": self.target,
            "meets": self.ratio <= self.target and self.errors == 0,
            "errors": self.errors,
            "unit": self.unit,
            "note": self.note,
        }


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_admin_url() -> str | None:
    url = os.environ.get(
        "BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
    except Exception:
        return None
    return url


@contextmanager
def scratch_database(kind: str, folder: Path, name: str) -> Iterator[str]:
    """An empty database (SQLite file or a PostgreSQL database of its own), dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'{name}.db'}"
        return
    admin_url = postgres_admin_url()
    assert admin_url is not None
    database = f"lineclose_bench_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        yield make_url(admin_url).set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def settings_for(url: str, **extra: Any) -> Settings:
    defaults: dict[str, Any] = {
        "hlr_backend": "fake",
        "sms_backend": "fake",
        "email_backend": "fake",
        # The benchmark measures the work, not the limits that protect it.
        "precheck_per_minute": 10_000_000,
    }
    return Settings(database_url=url, data_keys=SecretStr(KEYS), **{**defaults, **extra})


def lineclose_env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "LINECLOSE_DATABASE_URL": url,
        "LINECLOSE_DATA_KEYS": KEYS,
        "LINECLOSE_HLR_BACKEND": "registry",
        "LINECLOSE_SMS_BACKEND": "console",
        "LINECLOSE_EMAIL_BACKEND": "console",
        "LINECLOSE_PRECHECK_PER_MINUTE": "10000000",
        "LINECLOSE_LOG_LEVEL": "WARNING",
    }


def migrated_app(url: str, **extra: Any) -> App:
    upgrade(url)
    return bootstrap(settings_for(url, **extra))


def line_row(operator_id: int, subscriber_id: int, n: int, **extra: Any) -> dict[str, Any]:
    return {
        "operator_id": operator_id,
        "subscriber_id": subscriber_id,
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
        **extra,
    }


def seed_lines(
    app: App, count: int, first: int = 1, fleet: str | None = None
) -> tuple[int, list[tuple[int, str]]]:
    """Lines inserted with Core: 5 % with an unpaid bill, 5 % a bound app, 2 % a contract.
    Returns the operator id and (line id, msisdn) of each line, in id order."""
    now = datetime.now(UTC)
    with app.sessions.begin() as session:
        operator = session.execute(select(models.Operator)).scalars().first()
        if operator is None:
            operator = add_operator(session, app.deps, "bench", "Bench Mobile", "cn")
        subscriber = add_subscriber(
            session, app.deps, operator, LineSpec(msisdn="", iccid="", imsi="", holder_name="张伟")
        )
        extra = {"fleet_account": fleet} if fleet else {}
        rows = [
            line_row(operator.id, subscriber.id, n, **extra) for n in range(first, first + count)
        ]
        for start in range(0, len(rows), 20_000):
            session.execute(insert(models.Line), rows[start : start + 20_000])
        ids = list(
            session.execute(
                select(models.Line.id, models.Line.msisdn)
                .where(models.Line.operator_id == operator.id, models.Line.id >= 0)
                .where(models.Line.subscriber_id == subscriber.id)
                .order_by(models.Line.id)
            ).tuples()
        )
        today = now.date()
        line_ids = [i for i, _ in ids]
        if line_ids[::20]:
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
        if line_ids[1::20]:
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
        if line_ids[2::50]:
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
        return operator.id, ids


def start_process(
    args: list[str], env: dict[str, str], url: str, log: Path
) -> subprocess.Popen[bytes]:
    """Start a server process and wait until `url` answers."""
    with log.open("wb") as out:
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 240  # a loaded 2-core machine starts Python slowly
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{args[0]} exited; see {log}"
        try:
            httpx.get(url, timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{' '.join(args)} did not start; see {log}")


def lineclose_command() -> list[str]:
    script = Path(sys.executable).parent / "lineclose"
    return [str(script)] if script.exists() else [sys.executable, "-m", "lineclose.cli.main"]
