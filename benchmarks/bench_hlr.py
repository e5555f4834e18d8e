"""Barring lines in a real osmo-hlr (started as the tests start it) through the adapter's
pipelined `bar_many`, against the same SET commands written raw on one CTRL connection, and
one `bar` per line (a sample) for the rate the one-line path reaches.

    BENCH_HLR_BARS=10000 .venv/bin/python benchmarks/bench_hlr.py
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from common import Figure, timed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lineclose.adapters.hlr.osmo import OsmoHlr
from lineclose.ports.hlr import HlrBar

BATCH = 500


def _imsi(n: int) -> str:
    return f"90170{n:010d}"


def _seed(hlr: OsmoHlr, first: int, count: int) -> None:
    commands: list[tuple[str, str, str | None]] = []
    for n in range(first, first + count):
        commands.append(("SET", "subscriber.create", _imsi(n)))
        commands.append(("SET", f"subscriber.by-imsi-{_imsi(n)}.msisdn", f"49170{n:08d}"))
    with hlr._connection() as conn:
        replies = conn.pipeline(commands)
    assert all(r.ok for r in replies), [r.text for r in replies if not r.ok][:3]


def run(count: int) -> dict[str, dict[str, Any]]:
    from tests.support.osmo_hlr import running_osmo_hlr

    if shutil.which("osmo-hlr") is None:
        return {}
    sample = min(500, count)
    with running_osmo_hlr() as endpoint:
        hlr = OsmoHlr(endpoint.host, endpoint.ctrl_port, timeout=30)
        _seed(hlr, 0, count)
        _seed(hlr, count, count)
        _seed(hlr, 2 * count, sample)
        bars = [HlrBar(_imsi(n), f"+49170{n:08d}", f"bench:{n}") for n in range(count)]

        def product() -> None:
            for start in range(0, count, BATCH):
                outcomes = hlr.bar_many(bars[start : start + BATCH])
                assert not any(outcomes), [o for o in outcomes if o][:3]

        raw: list[tuple[str, str, str | None]] = []
        for n in range(count, 2 * count):
            imsi = _imsi(n)
            raw += [
                ("SET", f"subscriber.by-imsi-{imsi}.cs-enabled", "0"),
                ("SET", f"subscriber.by-imsi-{imsi}.ps-enabled", "0"),
                ("SET", f"subscriber.by-imsi-{imsi}.msisdn", "none"),
            ]

        def baseline() -> None:
            with hlr._connection() as conn:
                assert all(r.ok for r in conn.pipeline(raw))

        def one_by_one() -> None:
            for n in range(2 * count, 2 * count + sample):
                hlr.bar(_imsi(n), f"+49170{n:08d}", f"bench:{n}")

        value, base, single = timed(product), timed(baseline), timed(one_by_one)
        after = hlr.lookup(_imsi(count - 1))
        assert after is not None and after.network_access == "none" and after.msisdn is None
    note: dict[str, Any] = {
        "pipelined": f"{count / value:,.0f} bars/s",
        "raw SETs": f"{count / base:,.0f} lines/s",
        "one bar per call": f"{sample / single:,.0f} bars/s ({sample} lines)",
    }
    return {
        f"osmo-hlr bars, {count:,} lines, pipelined (s)": Figure(
            value,
            base,
            2.0,
            note="; ".join(f"{k} {v}" for k, v in note.items())
            + "; baseline the same SETs written raw on one CTRL connection",
        ).as_json()
    }


if __name__ == "__main__":
    for name, figure in run(int(os.environ.get("BENCH_HLR_BARS", "10000"))).items():
        print(name, figure)
