"""Reassigned-number checks: a file of `size` (number, date of consent) pairs, and single CAMARA
checks under concurrent load. Figures in seconds, ratio = Lineclose / baseline (lower is better):

- `reassigned answer`: the rule over arrays (`DisconnectionIndex.answer`) against a bare
  `numpy.searchsorted` of the same queries into the same disconnections (target 2x: at least
  half the speed of the raw search);
- `reassigned file end to end`: `check_file` on SQLite, from the CSV text to the answers and
  rejects written (the operator's disconnections loaded from the database included), against
  a budget of one second per 250,000 rows (target 1x);
- `reassigned CAMARA check p99`: 16 clients calling `POST /number-recycling/v0.2/check` of
  `lineclose serve` for a few seconds, against a floor app (FastAPI + SQLAlchemy, the same two
  reads, served the same way) under the same load (target 2x); p50, p99 and errors of both in
  the note.

    python benchmarks/bench_reassigned.py [size]
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from common import (
    free_port,
    lineclose_command,
    lineclose_env,
    migrated_app,
    start_process,
)
from sqlalchemy import create_engine, insert, select

from lineclose.db import models
from lineclose.services.context import Role, Scope
from lineclose.services.identity import create_staff_token
from lineclose.services.provisioning import add_operator
from lineclose.services.reassigned import DisconnectionIndex, operator_actor
from lineclose.services.reassigned_files import check_file

PER_SECOND = 250_000  # the target: a file of 250,000 rows in under a second
CLIENTS, SECONDS = 16, 5.0
START = date(2021, 1, 27).toordinal()


def _best(repeat: int, work: Callable[[], object]) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings)


def _data(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Disconnected numbers and their days; queries (half of them disconnected numbers)."""
    rng = np.random.default_rng(2021)
    disconnected = 12025550000 + rng.choice(10**8, size=size, replace=False).astype(np.int64)
    latest = START + rng.integers(0, 2000, size=size, dtype=np.int64)
    half = size // 2
    queries = np.concatenate(
        [rng.choice(disconnected, size=half), 12025550000 + rng.integers(0, 10**8, size - half)]
    ).astype(np.int64)
    consent = START - 300 + rng.integers(0, 2300, size=size, dtype=np.int64)
    return disconnected, latest, queries, consent


def _file_text(queries: np.ndarray, consent: np.ndarray) -> str:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(("phone_number", "consent_date"))
    writer.writerows(
        (f"+{n}", date.fromordinal(d).isoformat())
        for n, d in zip(queries.tolist(), consent.tolist(), strict=True)
    )
    return text.getvalue()


def _seed(url: str, disconnected: np.ndarray, latest: np.ndarray) -> tuple[Any, str]:
    """A migrated database with one operator owning the disconnected numbers; its token."""
    app = migrated_app(url)
    now = datetime.now(UTC)
    with app.sessions.begin() as session:
        operator = add_operator(session, app.deps, "bench-us", "Bench US", "us")
        rows = [f"+{n}" for n in disconnected.tolist()]
        for at in range(0, len(rows), 50_000):
            part = rows[at : at + 50_000]
            session.execute(
                insert(models.Number),
                [
                    {
                        "msisdn": m,
                        "operator_id": operator.id,
                        "state": "available",
                        "updated_at": now,
                    }
                    for m in part
                ],
            )
            session.execute(
                insert(models.Disconnection),
                [
                    {"msisdn": m, "disconnected_on": date.fromordinal(d)}
                    for m, d in zip(part, latest[at : at + 50_000].tolist(), strict=True)
                ],
            )
        token = create_staff_token(
            session,
            app.deps.clock.now(),
            "bench-checker",
            Role.INTEGRATION,
            operator.id,
            frozenset({Scope.NUMBER_RECYCLING_CHECK}),
        )
    return app, token


async def _load(
    url: str, headers: dict[str, str], numbers: list[str], clients: int, seconds: float
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    rng = random.Random(5)
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:

        async def client() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                body = {"phoneNumber": rng.choice(numbers), "specifiedDate": "2022-06-01"}
                began = time.perf_counter()
                try:
                    answer = await http.post(url, json=body, headers=headers)
                except httpx.HTTPError:
                    errors += 1
                    continue
                if answer.status_code != 200:
                    errors += 1
                else:
                    latencies.append(time.perf_counter() - began)

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    ordered = sorted(latencies) or [float("nan")]
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(ordered),
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "errors": errors,
    }


def _camara(folder: Path, url: str, token: str, numbers: list[str]) -> dict[str, Any]:
    lc_port, floor_port = free_port(), free_port()
    servers = [
        start_process(
            [*lineclose_command(), "serve", "--port", str(lc_port)],
            lineclose_env(url),
            f"http://127.0.0.1:{lc_port}/healthz",
            folder / "lineclose-camara.log",
        ),
        start_process(
            [sys.executable, __file__, "--floor", url, str(floor_port)],
            lineclose_env(url),
            f"http://127.0.0.1:{floor_port}/healthz",
            folder / "floor-camara.log",
        ),
    ]
    try:
        lc_url = f"http://127.0.0.1:{lc_port}/number-recycling/v0.2/check"
        floor_url = f"http://127.0.0.1:{floor_port}/check"
        lc_headers = {"Authorization": f"Bearer {token}"}
        asyncio.run(_load(floor_url, {}, numbers, 2, 0.5))  # warm both
        asyncio.run(_load(lc_url, lc_headers, numbers, 2, 0.5))
        on_floor = asyncio.run(_load(floor_url, {}, numbers, CLIENTS, SECONDS))
        on_lc = asyncio.run(_load(lc_url, lc_headers, numbers, CLIENTS, SECONDS))
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    note = (
        f"{CLIENTS} clients {SECONDS:.0f} s, SQLite: Lineclose {on_lc['rps']:.0f} checks/s "
        f"p50 {on_lc['p50'] * 1e3:.1f} ms p99 {on_lc['p99'] * 1e3:.1f} ms errors "
        f"{on_lc['errors']}; floor {on_floor['rps']:.0f}/s p50 {on_floor['p50'] * 1e3:.1f} ms "
        f"p99 {on_floor['p99'] * 1e3:.1f} ms errors {on_floor['errors']}"
    )
    return _figure(on_lc["p99"], on_floor["p99"], 2.0, note, int(on_lc["errors"]))


def _figure(
    value: float, baseline: float, target: float, note: str, errors: int = 0
) -> dict[str, Any]:
    ratio = value / baseline if baseline else float("inf")
    return {
        "value": round(value, 6),
        "baseline": round(baseline, 6),
        "ratio": round(ratio, 3),
        "target": target,
        "meets": ratio <= target and errors == 0,
        "errors": errors,
        "unit": "s",
        "note": note,
    }


def run(size: int = 250_000) -> dict[str, dict[str, Any]]:
    disconnected, latest, queries, consent = _data(size)
    index = DisconnectionIndex.build(disconnected, latest)
    repeat = max(5, 2_500_000 // size)  # small sizes: more runs, the best of each side
    answer = _best(repeat, lambda: index.answer(queries, consent))
    raw = _best(repeat, lambda: np.searchsorted(index.numbers, queries))
    figures = {
        f"reassigned answer, {size:,} pairs (s)": _figure(
            answer, raw, 2.0, "baseline: numpy.searchsorted of the same queries"
        )
    }
    text = _file_text(queries, consent)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'reassigned.db'}"
        app, token = _seed(url, disconnected, latest)
        with app.sessions() as session:
            actor = operator_actor(session, "bench-us", "bench")

            def through_file() -> None:
                answers, rejects = io.StringIO(), io.StringIO()
                report = check_file(session, actor, io.StringIO(text), answers, rejects)
                assert report.answered == size, report

            file_path = _best(3, through_file)
        app.engine.dispose()
        figures[f"reassigned file end to end, {size:,} pairs, SQLite (s)"] = _figure(
            file_path,
            size / PER_SECOND,
            1.0,
            "baseline: the budget, one second per 250,000 rows; CSV text in, answers and "
            "rejects out, the disconnections read from the database",
        )
        numbers = [f"+{n}" for n in disconnected[:20_000].tolist()]
        figures["reassigned CAMARA check p99 under load, SQLite (s)"] = _camara(
            folder, url, token, numbers
        )
    return figures


def floor(url: str, port: int) -> None:
    """The floor for one CAMARA check: the number's row and its latest disconnection, read by
    a minimal FastAPI + SQLAlchemy app with a sync route, served by one uvicorn process."""
    import uvicorn
    from fastapi import FastAPI
    from sqlalchemy import func

    engine = create_engine(url, pool_size=40)
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/check")
    def check(body: dict[str, str]) -> dict[str, bool]:
        msisdn, specified = body["phoneNumber"], date.fromisoformat(body["specifiedDate"])
        with engine.connect() as connection:
            number = connection.execute(
                select(models.Number.operator_id).where(models.Number.msisdn == msisdn)
            ).first()
            latest = connection.execute(
                select(func.max(models.Disconnection.disconnected_on)).where(
                    models.Disconnection.msisdn == msisdn
                )
            ).scalar()
        return {
            "phoneNumberRecycled": number is not None and latest is not None and latest >= specified
        }

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--floor":
        floor(sys.argv[2], int(sys.argv[3]))
    else:
        size = int(sys.argv[1]) if len(sys.argv) > 1 else 250_000
        for name, entry in run(size).items():
            print(f"{name}: {entry}")
