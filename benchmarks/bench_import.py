"""Bulk import: `lineclose import` of N lines with their facts (one wide CSV row per line:
subscriber, line, balance, unbilled usage, last usage) against writing the same business rows
raw, already validated and unencrypted, into the same migrated schema: `executemany` on
SQLite, `COPY` on PostgreSQL. Figures in seconds, ratio = Lineclose / raw (lower is better),
target 4x (at least a quarter of the raw speed); the same file imported again (every row
unchanged) is measured against the same raw write.

    BENCH_IMPORT_SIZE=100000 python benchmarks/bench_import.py

`run(size)` is what `benchmarks/run.py` calls. PostgreSQL is measured when a server answers at
LINECLOSE_BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import csv
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from stdnum import luhn
from stdnum.cn import ric

sys.path.insert(0, str(Path(__file__).parent))

from common import Figure

from lineclose.bootstrap import bootstrap
from lineclose.cli.import_files import run_import
from lineclose.config import Settings
from lineclose.db.migrate import upgrade
from lineclose.security.vault import new_key_line
from lineclose.services.data_in.bulk_import import default_workers
from lineclose.services.provisioning import add_operator

# Lineclose / raw, at most: validation, sealing personal data, digests for idempotency, the
# number and registry rows, and the audit trail cost something, but must stay within this.
TARGET = 4.0
# `lineclose import --workers N`: validation in N other processes; by default as many as the
# command's own default (one per core beyond the first, at most two).
WORKERS = int(os.environ.get("BENCH_IMPORT_WORKERS", str(default_workers())))
PG_URL = os.environ.get(
    "LINECLOSE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
COLUMNS = (
    "msisdn",
    "iccid",
    "imsi",
    "subscriber_ref",
    "name",
    "id_number",
    "payment",
    "monthly_fee_minor",
    "activated_on",
    "paid_credit_minor",
    "unbilled_usage_minor",
    "last_usage_on",
)


def _row(n: int) -> dict[str, Any]:
    body = f"898600{n:012d}"
    birth = date(1960, 1, 1) + timedelta(days=n % 15_000)
    id_body = f"110105{birth:%Y%m%d}{n % 1000:03d}"
    return {
        "msisdn": f"+86139{n:08d}",
        "iccid": body + luhn.calc_check_digit(body),
        "imsi": f"46000{n:010d}",
        "subscriber_ref": f"C{n:09d}",
        "name": "王芳",
        "id_number": id_body + ric.calc_check_digit(id_body + "0"),
        "payment": "postpaid" if n % 2 else "prepaid",
        "monthly_fee_minor": 3_000 + n % 5_000,
        "activated_on": "2023-05-01",
        "paid_credit_minor": n % 9_000,
        "unbilled_usage_minor": n % 700,
        "last_usage_on": "2026-11-01",
    }


def write_file(folder: Path, size: int) -> Path:
    path = folder / "wide.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        for n in range(1, size + 1):
            writer.writerow(_row(n))
    return path


def _lineclose(url: str, wide: Path, folder: Path) -> tuple[float, float]:
    """Seconds for the first import and for the same file again (every row unchanged)."""
    settings = Settings(
        database_url=url,
        data_keys=SecretStr(new_key_line("k1")),
        hlr_backend="registry",
        sms_backend="fake",
        email_backend="fake",
    )
    if url.startswith("sqlite"):
        upgrade(url)
    app = bootstrap(settings)
    with app.sessions.begin() as session:
        add_operator(session, app.deps, "bench", "Bench Mobile", "cn")
    try:
        started = time.perf_counter()
        first = run_import(app, "bench", [wide], folder / "rejects.csv", workers=WORKERS)
        first_s = time.perf_counter() - started
        assert first.rejected == 0 and first.inserted > 0, first
        started = time.perf_counter()
        again = run_import(app, "bench", [wide], folder / "rejects.csv", workers=WORKERS)
        again_s = time.perf_counter() - started
        assert again.unchanged == first.inserted, again
    finally:
        app.engine.dispose()
    return first_s, again_s


def _raw_rows(size: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    now = datetime(2026, 11, 30, tzinfo=UTC).replace(tzinfo=None)
    subscribers, lines = [], []
    for n in range(1, size + 1):
        r = _row(n)
        subscribers.append((n, 1, "personal", r["name"], r["id_number"], now))
        lines.append(
            (
                n,
                1,
                n,
                r["msisdn"],
                r["iccid"],
                r["imsi"],
                "sim",
                r["payment"],
                "active",
                "CNY",
                r["monthly_fee_minor"],
                1,
                r["paid_credit_minor"],
                0,
                r["unbilled_usage_minor"],
                False,
                False,
                date(2023, 5, 1),
            )
        )
    return subscribers, lines


SUB_COLS = "id, operator_id, kind, name_enc, id_number_enc, created_at"
LINE_COLS = (
    "id, operator_id, subscriber_id, msisdn, iccid, imsi, kind, payment, status, currency, "
    "monthly_fee_minor, billing_day, paid_credit_minor, promo_credit_minor, "
    "unbilled_usage_minor, legal_hold, lost_reported, activated_on"
)
OPERATOR = (
    "INSERT INTO operators (id, code, name, profile, profile_overrides, auto_approval, "
    "created_at) VALUES (1, 'raw', 'Raw', 'cn', '{}', '{}', '2026-11-30 00:00:00')"
)


def _raw_sqlite(folder: Path, size: int) -> float:
    path = folder / "raw.db"
    upgrade(f"sqlite:///{path}")
    subscribers, lines = _raw_rows(size)
    connection = sqlite3.connect(path)
    connection.execute(OPERATOR)
    connection.commit()
    started = time.perf_counter()
    connection.executemany(
        f"INSERT INTO subscribers ({SUB_COLS}) VALUES (?,?,?,?,?,?)", subscribers
    )
    connection.executemany(
        f"INSERT INTO lines ({LINE_COLS}) VALUES ({','.join('?' * 18)})",
        [tuple(str(v) if isinstance(v, date) else v for v in row) for row in lines],
    )
    connection.executemany(
        "INSERT INTO line_activity (line_id, last_usage_on) VALUES (?, '2026-11-01')",
        [(row[0],) for row in lines],
    )
    connection.commit()
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def _pg_database() -> tuple[str, str] | None:
    try:
        admin = create_engine(
            PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 2}
        )
        name = f"lineclose_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception:
        return None
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return name, url


def _drop_pg(name: str) -> None:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _raw_postgres(url: str, size: int) -> float:
    import psycopg

    subscribers, lines = _raw_rows(size)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as connection:
        connection.execute(OPERATOR)
        connection.commit()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY subscribers ({SUB_COLS}) FROM STDIN") as copy:
                for row in subscribers:
                    copy.write_row(row)
            with cursor.copy(f"COPY lines ({LINE_COLS}) FROM STDIN") as copy:
                for row in lines:
                    copy.write_row(row)
            with cursor.copy("COPY line_activity (line_id, last_usage_on) FROM STDIN") as copy:
                for row in lines:
                    copy.write_row((row[0], date(2026, 11, 1)))
        connection.commit()
        return time.perf_counter() - started


def _figure(size: int, seconds: float, baseline_seconds: float, note: str) -> dict[str, Any]:
    return Figure(
        seconds,
        baseline_seconds,
        TARGET,
        note=f"{size / seconds:,.0f} rows/s vs {size / baseline_seconds:,.0f} raw; rows "
        f"validated in {WORKERS} other process(es); {note}",
    ).as_json()


def run(size: int) -> dict[str, dict[str, Any]]:
    """{figure: {value, baseline, ratio, target, ...}}: seconds, Lineclose vs the raw write."""
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        wide = write_file(folder, size)
        first, again = _lineclose(f"sqlite:///{folder / 'lineclose.db'}", wide, folder)
        raw = _raw_sqlite(folder, size)
        results[f"import, {size:,} lines with their facts, SQLite (s)"] = _figure(
            size, first, raw, "baseline: executemany of the subscribers, lines and activity"
        )
        results[f"import again, {size:,} lines unchanged, SQLite (s)"] = _figure(
            size, again, raw, "baseline: the same executemany"
        )
        product_db = _pg_database()
        raw_db = _pg_database() if product_db else None
        if product_db and not raw_db:
            _drop_pg(product_db[0])
        if product_db and raw_db:
            try:
                first, _ = _lineclose(product_db[1], wide, folder)
                raw = _raw_postgres(raw_db[1], size)
                results[f"import, {size:,} lines with their facts, PostgreSQL (s)"] = _figure(
                    size, first, raw, "baseline: COPY of the subscribers, lines and activity"
                )
            finally:
                _drop_pg(product_db[0])
                _drop_pg(raw_db[0])
    return results


if __name__ == "__main__":
    size = int(os.environ.get("BENCH_IMPORT_SIZE", "20000"))
    for name, figure in run(size).items():
        print(f"{name}: {figure}")
