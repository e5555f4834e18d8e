"""Precheck + submit over HTTP: Lineclose (`lineclose serve`) against the floor app, both one
uvicorn process on loopback, called by the same client; then 32 concurrent clients."""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import floor_app
import httpx
from common import (
    Figure,
    free_port,
    lineclose_command,
    lineclose_env,
    migrated_app,
    scratch_database,
    seed_lines,
    start_process,
)
from sqlalchemy import create_engine

from lineclose.services.context import Role
from lineclose.services.identity import create_staff_token

HERE = Path(__file__).parent


class Target:
    """One server and how to ask it for a precheck and a submit of one number."""

    def __init__(self, base: str, headers: dict[str, str], floor: bool) -> None:
        self.base = base
        self.headers = headers
        self.floor = floor

    def calls(self, msisdn: str) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
        if self.floor:
            body = {"msisdn": msisdn}
            return [
                (f"{self.base}/precheck", body, {}),
                (f"{self.base}/submit", body, {}),
            ]
        submission = {
            "msisdn": msisdn,
            "channel": "store",
            "alternate_contact": "a@example.org",
            "refund_account": "6222020200112233445",
            "identity": [{"method": "id_document_seen"}],
        }
        return [
            (f"{self.base}/api/v1/precheck", {"msisdn": msisdn}, self.headers),
            (
                f"{self.base}/api/v1/closure-requests",
                submission,
                {**self.headers, "Idempotency-Key": f"bench-{msisdn}"},
            ),
        ]


def _sequential(target: Target, msisdns: list[str]) -> float:
    with httpx.Client(timeout=60) as http:
        start = time.perf_counter()
        for msisdn in msisdns:
            for url, body, headers in target.calls(msisdn):
                http.post(url, json=body, headers=headers).raise_for_status()
        return (time.perf_counter() - start) / len(msisdns)


async def _load(
    target: Target, numbers: Iterator[str], clients: int, seconds: float
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(timeout=60, limits=limits) as http:

        async def client() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                msisdn = next(numbers)
                began = time.perf_counter()
                try:
                    for url, body, headers in target.calls(msisdn):
                        answer = await http.post(url, json=body, headers=headers)
                        if answer.status_code >= 400:
                            errors += 1
                            break
                    else:
                        latencies.append(time.perf_counter() - began)
                except httpx.HTTPError:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    ordered = sorted(latencies) or [float("nan")]
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(ordered),
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "errors": errors,
        "pairs": len(latencies),
    }


def run(
    kind: str, folder: Path, pairs: int, load_clients: int = 0, load_seconds: float = 0
) -> dict[str, Figure]:
    """Figures for one database kind; with `load_clients`, the concurrency run as well."""
    spare = 200_000 if load_clients else 0
    count = 2 * pairs + min(spare, 20_000 + load_clients * int(load_seconds) * 40)
    figures: dict[str, Figure] = {}
    with (
        scratch_database(kind, folder, "http") as url,
        scratch_database(kind, folder, "floor") as floor_url,
    ):
        app = migrated_app(url)
        _, lines = seed_lines(app, count)
        with app.sessions.begin() as session:
            token = create_staff_token(session, app.deps.clock.now(), "bench", Role.AGENT)
        app.engine.dispose()
        floor_app.seed(create_engine(floor_url), count)
        msisdns = [m for _, m in lines]
        lc_port, floor_port = free_port(), free_port()
        servers = [
            start_process(
                [*lineclose_command(), "serve", "--port", str(lc_port)],
                lineclose_env(url),
                f"http://127.0.0.1:{lc_port}/healthz",
                folder / f"lineclose-{kind}.log",
            ),
            start_process(
                [
                    sys.executable,
                    str(HERE / "floor_app.py"),
                    "--url",
                    floor_url,
                    "--port",
                    str(floor_port),
                ],
                lineclose_env(url),
                f"http://127.0.0.1:{floor_port}/healthz",
                folder / f"floor-{kind}.log",
            ),
        ]
        try:
            lc = Target(f"http://127.0.0.1:{lc_port}", {"Authorization": f"Bearer {token}"}, False)
            floor = Target(f"http://127.0.0.1:{floor_port}", {}, True)
            _sequential(floor, msisdns[-5:])  # warm both
            _sequential(lc, msisdns[-10:-5])
            floor_pair = _sequential(floor, msisdns[:pairs])
            lc_pair = _sequential(lc, msisdns[pairs : 2 * pairs])
            figures[f"precheck + submit over HTTP, {kind} (s per pair)"] = Figure(
                lc_pair, floor_pair, 2.0, note="floor: minimal FastAPI + SQLAlchemy app"
            )
            if load_clients:
                half = (len(msisdns) - 2 * pairs - 10) // 2
                floor_numbers = iter(msisdns[2 * pairs : 2 * pairs + half])
                lc_numbers = iter(msisdns[2 * pairs + half : -10])
                on_floor = asyncio.run(_load(floor, floor_numbers, load_clients, load_seconds))
                on_lc = asyncio.run(_load(lc, lc_numbers, load_clients, load_seconds))
                figures[f"precheck + submit, {load_clients} clients, {kind} (s per pair)"] = Figure(
                    1 / on_lc["rps"] if on_lc["rps"] else float("inf"),
                    1 / on_floor["rps"],
                    2.0,
                    note=(
                        f"Lineclose {on_lc['rps']:.1f} pairs/s p50 {on_lc['p50'] * 1000:.0f} ms "
                        f"p99 {on_lc['p99'] * 1000:.0f} ms errors {on_lc['errors']}; floor "
                        f"{on_floor['rps']:.1f} pairs/s p50 {on_floor['p50'] * 1000:.0f} ms "
                        f"p99 {on_floor['p99'] * 1000:.0f} ms errors {on_floor['errors']}"
                    ),
                    errors=on_lc["errors"],
                )
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=30)
    return figures
