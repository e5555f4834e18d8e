"""Reassigned-number checks in bulk: how fast `size` (number, date of consent) pairs are answered.

Entries (each `ratio` = `baseline` / `value`, and meets its goal when `ratio >= target`):
- `reassigned answer vs raw searchsorted`: the rule over arrays (`DisconnectionIndex.answer`)
  against a bare `numpy.searchsorted` of the same queries into the same sorted numbers; the
  rule must keep at least half that speed (target 0.5);
- `reassigned answer within one second`: the same answer against a budget of one second
  (target 1.0: under a second for 250,000);
- `reassigned file within one second`: the file path (CSV parsed, answered, written; the
  rejects check per row included) against the same one-second budget, reported, target 1.0.

Run ``python benchmarks/bench_reassigned.py [size]``.
"""

from __future__ import annotations

import csv
import io
import sys
import time
from collections.abc import Callable
from datetime import date

import numpy as np

from lineclose.services.reassigned import DisconnectionIndex
from lineclose.services.reassigned_files import _Run  # the file path minus the database read

BUDGET_SECONDS = 1.0


def _best(repeat: int, work: Callable[[], object]) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings)


def _data(size: int) -> tuple[DisconnectionIndex, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2021)
    disconnected = 12025550000 + rng.choice(10**8, size=size, replace=False).astype(np.int64)
    start = date(2021, 1, 27).toordinal()
    latest = start + rng.integers(0, 2000, size=size, dtype=np.int64)
    index = DisconnectionIndex.build(disconnected, latest)
    half = size // 2
    queries = np.concatenate(
        [rng.choice(disconnected, size=half), 12025550000 + rng.integers(0, 10**8, size - half)]
    ).astype(np.int64)
    consent = start - 300 + rng.integers(0, 2300, size=size, dtype=np.int64)
    return index, queries, consent


def _entry(value: float, baseline: float, target: float) -> dict[str, float]:
    return {"value": value, "baseline": baseline, "ratio": baseline / value, "target": target}


def run(size: int = 250_000) -> dict[str, dict[str, float]]:
    index, queries, consent = _data(size)
    answer = _best(5, lambda: index.answer(queries, consent))
    raw = _best(5, lambda: np.searchsorted(index.numbers, queries))

    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(("phone_number", "consent_date"))
    writer.writerows(
        (f"+{n}", date.fromordinal(int(d)).isoformat())
        for n, d in zip(queries.tolist(), consent.tolist(), strict=True)
    )
    rows = list(csv.reader(io.StringIO(text.getvalue())))[1:]

    def through_file() -> None:
        out, rejects = io.StringIO(), io.StringIO()
        run_ = _Run(index, 0, 1, csv.writer(out), csv.writer(rejects))
        for at in range(0, len(rows), 25_000):
            run_.check(rows[at : at + 25_000])
        assert run_.report.answered == size

    file_path = _best(2, through_file)
    return {
        "reassigned answer vs raw searchsorted": _entry(answer, raw, 0.5),
        "reassigned answer within one second": _entry(answer, BUDGET_SECONDS, 1.0),
        "reassigned file within one second": _entry(file_path, BUDGET_SECONDS, 1.0),
    }


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 250_000
    for name, entry in run(size).items():
        verdict = "ok" if entry["ratio"] >= entry["target"] else "BELOW TARGET"
        print(
            f"{name}: {entry['value'] * 1e3:.1f} ms vs {entry['baseline'] * 1e3:.1f} ms, "
            f"ratio {entry['ratio']:.2f} (target {entry['target']}) {verdict}"
        )
