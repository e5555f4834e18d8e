"""Fleet batches from a file: cards per second loaded (parse, resolve, precheck, batch lines
written) and submitted (a closure request per approved card), each beside a raw sqlite3
baseline measured in the same run (an INSERT of the same number of rows, one transaction).

Run ``python benchmarks/bench_fleet.py`` with the ``lineclose`` package importable;
``BENCH_FLEET_CARDS`` sets the file size (default 20,000) and ``BENCH_FLEET_SUBMIT`` how many
approved cards are submitted (default 300).
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lineclose.bootstrap import bootstrap
from lineclose.config import Settings
from lineclose.db import models
from lineclose.db.migrate import upgrade
from lineclose.security.vault import new_key_line
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.fleet import batches, submission
from lineclose.services.fleet.rows import parse_rows
from lineclose.services.provisioning import LineSpec, add_operator, add_subscriber
from lineclose.services.seed import iccid

CARDS = int(os.environ.get("BENCH_FLEET_CARDS", "20000"))
SUBMIT = int(os.environ.get("BENCH_FLEET_SUBMIT", "300"))
LOADER = Actor(Role.AGENT, "bench-loader", Channel.BULK)
REVIEWER = Actor(Role.REVIEWER, "bench-reviewer", Channel.SYSTEM)


def _baseline(rows: int, workdir: Path) -> float:
    connection = sqlite3.connect(workdir / "baseline.db")
    connection.execute("CREATE TABLE t (batch INTEGER, row INTEGER, line INTEGER, state TEXT)")
    start = time.perf_counter()
    connection.executemany("INSERT INTO t VALUES (1, ?, ?, 'clean')", ((n, n) for n in range(rows)))
    connection.commit()
    seconds = time.perf_counter() - start
    connection.close()
    return rows / seconds


def run() -> dict[str, dict[str, float]]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    app = bootstrap(
        Settings(
            database_url=url,
            data_keys=SecretStr(new_key_line("k1")),
            hlr_backend="fake",
            sms_backend="fake",
            email_backend="fake",
        )
    )
    with app.sessions.begin() as session:
        operator = add_operator(session, app.deps, "bench-cn", "Bench", "cn")
        owner = add_subscriber(
            session,
            app.deps,
            operator,
            LineSpec(msisdn="+8614700000000", iccid=iccid(1), imsi="460040000000001"),
        )
        session.execute(
            insert(models.Line),
            [
                {
                    "operator_id": operator.id,
                    "subscriber_id": owner.id,
                    "msisdn": f"+86147{n:08d}",
                    "iccid": iccid(100_000 + n),
                    "imsi": f"46004{n:010d}",
                    "kind": "data-only",
                    "payment": "prepaid",
                    "status": "active",
                    "currency": "CNY",
                    "fleet_account": "BENCH",
                    "activated_on": date(2024, 1, 1),
                }
                for n in range(1, CARDS + 1)
            ],
        )
        code = operator.code
    text = ["card\n", *(f"+86147{n:08d}\n" for n in range(1, CARDS + 1))]
    start = time.perf_counter()
    with app.sessions.begin() as session:
        loaded = batches.load(
            session,
            app.deps,
            LOADER,
            code,
            parse_rows(text, "CN"),
            batches.FleetAuthorisation("it@bench.example", "bench order"),
        )
        reference = loaded.batch.reference
    load_rate = CARDS / (time.perf_counter() - start)
    with app.sessions.begin() as session:
        batches.decide(session, app.deps, REVIEWER, reference, True, list(range(2, SUBMIT + 2)))
    start = time.perf_counter()
    done = 0
    while done < SUBMIT:
        with app.sessions.begin() as session:
            handled = submission.submit_next(session, app.deps, LOADER, reference)
        if not handled:
            break
        done += handled
    submit_rate = done / (time.perf_counter() - start)
    app.engine.dispose()
    baseline = _baseline(CARDS, workdir)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    print(f"fleet bench {started}: {CARDS} cards loaded, {done} submitted", file=sys.stderr)
    return {
        "fleet_file_load_cards_per_s": {
            "value": round(load_rate),
            "baseline": round(baseline),
            "ratio": round(load_rate / baseline, 4),
            "target": 10_000,
        },
        "fleet_submit_cards_per_s": {
            "value": round(submit_rate, 1),
            "baseline": round(baseline),
            "ratio": round(submit_rate / baseline, 5),
            "target": 1_000,
        },
    }


if __name__ == "__main__":
    for name, figure in run().items():
        print(name, figure)
