"""A fleet closed from a file, end to end, on PostgreSQL with the built-in line registry as HLR:
the file loaded and prechecked as one batch, approved as a whole, its cards submitted and
executed by worker processes until nothing is due (barred in the registry, settled, certified,
notices sent), and the per-card result file written. Each phase timed; written to
var/fleet-run-<cards>.json.

    BENCH_FLEET_RUN_CARDS=1000000 BENCH_FLEET_RUN_WORKERS=2 python benchmarks/fleet_run.py

The workers run from the start, as deployed workers do, executing the first chunks while later
ones are submitted; `BENCH_FLEET_RUN_OVERLAP=0` starts them only once the submission is over,
to time execution on its own.

The lines are seeded as `benchmarks/common.seed_lines` seeds them (5 % with an unpaid bill, 5 %
a bound app, 2 % a contract: blocked at review), each with its registry entry; a tenth of the
file asks for a later date (scheduled, not executed in this run). `benchmarks/run.py` calls
`run(cards, workers, overlap=True)` at `BENCH_FLEET_RUN_CARDS` cards.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Event, Semaphore
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import common
from common import (
    Figure,
    migrated_app,
    postgres_admin_url,
    scratch_database,
    seed_lines,
    settings_for,
    size,
    timed,
)
from sqlalchemy import func, insert, select

from lineclose.bootstrap import App, bootstrap
from lineclose.cli.fleet_file import write_result
from lineclose.db import models
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.fleet import batches, submission
from lineclose.services.fleet.rows import parse_rows
from lineclose.worker.dispatcher import Worker

LOADER = Actor(Role.AGENT, "fleet-loader", Channel.BULK)
REVIEWER = Actor(Role.REVIEWER, "fleet-reviewer", Channel.SYSTEM)
# The budget for a million cards, end to end, on this machine.
MILLION_SECONDS = 15 * 60


SETTINGS = {"hlr_backend": "registry"}


def _seed(app: App, cards: int, folder: Path) -> Path:
    _, lines = seed_lines(app, cards)
    now = datetime.now(UTC)
    with app.sessions.begin() as session:
        rows = session.execute(select(models.Line.imsi, models.Line.msisdn)).all()
        for start in range(0, len(rows), 50_000):
            session.execute(
                insert(models.HlrRegistryEntry),
                [
                    {
                        "imsi": imsi,
                        "msisdn": msisdn.lstrip("+"),
                        "network_access": "cs+ps",
                        "updated_at": now,
                    }
                    for imsi, msisdn in rows[start : start + 50_000]
                ],
            )
    later = (now.date() + timedelta(days=40)).isoformat()
    path = folder / "fleet.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("card,requested_date\n")
        for n, (_, msisdn) in enumerate(lines):
            out.write(f"{msisdn},{later if n % 10 == 0 else ''}\n")
    return path


def _work(
    url: str, keys: str, name: str, submitted: Event | None = None, ready: Semaphore | None = None
) -> None:
    """One worker process, with the parent's data keys, until nothing is due; with `submitted`,
    running as a deployed worker does while the file is submitted, and stopping once nothing is
    due after the submission is over."""
    common.KEYS = keys
    app = bootstrap(settings_for(url, **SETTINGS))
    worker = Worker(app.sessions, app.deps, name=name)
    if ready is not None:
        ready.release()
    while True:
        over = submitted is None or submitted.is_set()
        worker.run_until_idle()
        if over:
            break
        assert submitted is not None
        submitted.wait(0.5)
    app.engine.dispose()


def run(cards: int, workers: int = 1, overlap: bool = False) -> dict[str, Figure]:
    phases: dict[str, float] = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_database("postgresql", Path(tmp), "fleetrun") as url,
    ):
        folder = Path(tmp)
        app = migrated_app(url, **SETTINGS)
        phases["seed (not counted)"] = timed(lambda: _seed(app, cards, folder))
        path = folder / "fleet.csv"
        reference = ""

        def load() -> None:
            nonlocal reference
            with app.sessions() as session:
                operator = session.execute(select(models.Operator.code)).scalar_one()
            parsed = parse_rows(path.read_text(encoding="utf-8").splitlines(keepends=True), "CN")
            with app.sessions.begin() as session:
                reference = batches.load(
                    session,
                    app.deps,
                    LOADER,
                    operator,
                    parsed,
                    batches.FleetAuthorisation("it@example.org", "board resolution 2026-14"),
                    "6222020200112233445",
                ).batch.reference

        def approve() -> None:
            with app.sessions.begin() as session:
                batches.decide(session, app.deps, REVIEWER, reference, True)

        def submit() -> None:
            while True:
                with app.sessions.begin() as session:
                    if not submission.submit_next(session, app.deps, LOADER, reference):
                        return

        context = multiprocessing.get_context("spawn")
        submitted = context.Event()
        ready = context.Semaphore(0)
        processes = [
            context.Process(
                target=_work,
                args=(url, common.KEYS, f"fleet-{n}", *((submitted, ready) if overlap else ())),
            )
            for n in range(workers)
        ]
        if overlap:
            # Deployed workers run all along: they execute chunks while later ones are submitted.
            # Their start-up (a new interpreter each) is not part of closing a fleet.
            for process in processes:
                process.start()
            for _ in processes:
                ready.acquire()

        def execute() -> None:
            submitted.set()
            if not overlap and workers == 1:
                Worker(app.sessions, app.deps, name="fleet-1").run_until_idle()
                return
            for process in processes:
                if not overlap:
                    process.start()
            for process in processes:
                process.join()

        def report() -> None:
            write_result(app, LOADER, reference, folder / "fleet.results.csv")

        for name, phase in (
            ("load and precheck", load),
            ("approve", approve),
            ("submit", submit),
            ("execute after the submission" if overlap else "execute", execute),
            ("result file", report),
        ):
            phases[name] = timed(phase)
            print(f"  {name}: {phases[name]:.1f} s", flush=True)
        with app.sessions() as session:
            closed = session.execute(
                select(func.count()).where(models.ClosureRequest.status == "closed")
            ).scalar_one()
            scheduled = session.execute(
                select(func.count()).where(models.ClosureRequest.status == "scheduled")
            ).scalar_one()
            barred = session.execute(
                select(func.count()).where(models.HlrRegistryEntry.network_access == "none")
            ).scalar_one()
        app.engine.dispose()
    total = sum(v for k, v in phases.items() if "not counted" not in k)
    budget = MILLION_SECONDS * cards / 1_000_000
    note = (
        f"{closed:,} closed and barred ({barred:,} barred in the registry), {scheduled:,} "
        f"scheduled; {workers} worker(s)"
        + (", running during the submission; " if overlap else "; ")
        + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items())
    )
    return {
        f"fleet closure end to end, {cards:,} cards, postgresql (s)": Figure(
            total, budget, 1.0, note=note + f"; baseline: 15 minutes per million, {budget:.0f} s"
        )
    }


def main() -> None:
    if postgres_admin_url() is None:
        print("no PostgreSQL on 127.0.0.1:5432: nothing to measure")
        return
    cards = size("BENCH_FLEET_RUN_CARDS")
    workers = size("BENCH_FLEET_RUN_WORKERS")
    overlap = os.environ.get("BENCH_FLEET_RUN_OVERLAP", "1") != "0"
    started = time.perf_counter()
    figures = {name: f.as_json() for name, f in run(cards, workers, overlap).items()}
    out = Path(os.environ.get("BENCH_OUT", f"var/fleet-run-{cards}.json"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"figures": figures}, indent=2, ensure_ascii=False))
    for name, figure in figures.items():
        print(name, json.dumps(figure, ensure_ascii=False))
    print(f"written {out} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
