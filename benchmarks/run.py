"""`make bench` / `make bench-quick`: each Lineclose figure beside a baseline measured in the
same run, as a ratio against its target, printed and written to var/bench.json:

    {"figures": {"<name>": {"value", "baseline", "ratio", "target", "meets", ...}}}

`ratio` is value / baseline (lower is better; times in seconds) and a figure meets its target
when the ratio is at most `target`. Sizes come from the environment (benchmarks/common.py);
`BENCH_ONLY=http,bulk,close,fleet,sweep,hlr,import,reassigned` runs a subset.

- precheck + submit over HTTP vs the floor app (benchmarks/floor_app.py), SQLite and
  PostgreSQL, and 32 concurrent clients on PostgreSQL (p50, p99, errors);
- bulk precheck vs raw sqlite3 reads of the same rows;
- bulk close of a fleet (submit phase, execution phase) vs raw executemany of the rows written;
- a fleet closed from a file end to end on PostgreSQL (benchmarks/fleet_run.py) against the
  15-minutes-a-million budget scaled to its size;
- sweeps over a large vs a small history, the same work due;
- import and reassigned-number checks from benchmarks/bench_import.py and
  benchmarks/bench_reassigned.py, when those modules are present.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from common import QUICK, Figure, postgres_admin_url, size
from rich.console import Console
from rich.table import Table

console = Console()
OUT = Path(os.environ.get("BENCH_OUT", "var/bench.json"))


def _wanted(part: str) -> bool:
    only = os.environ.get("BENCH_ONLY")
    return not only or part in only.split(",")


def _external(module: str, size_variable: str) -> dict[str, dict[str, Any]]:
    """Figures of a benchmark module that may not exist yet: {name: {value, baseline, ...}}."""
    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        console.print(f"[yellow]{module}.py not present: skipped[/yellow]")
        return {}
    figures: dict[str, dict[str, Any]] = loaded.run(size(size_variable))
    for figure in figures.values():
        figure.setdefault("meets", figure["ratio"] <= figure["target"])
    return figures


def main() -> None:
    started = time.perf_counter()
    figures: dict[str, dict[str, Any]] = {}
    postgres = postgres_admin_url() is not None
    kinds = ["sqlite", "postgresql"] if postgres else ["sqlite"]
    if not postgres:
        console.print("[yellow]no PostgreSQL on 127.0.0.1:5432: its figures are skipped[/yellow]")

    def record(
        part: str, produce: Callable[[], dict[str, Figure] | dict[str, dict[str, Any]]]
    ) -> None:
        if not _wanted(part):
            return
        console.print(f"[bold]{part}[/bold] ...")
        began = time.perf_counter()
        try:
            produced = produce()
        except Exception:
            console.print(f"[red]{part} failed[/red]")
            traceback.print_exc()
            return
        for name, figure in produced.items():
            figures[name] = figure.as_json() if isinstance(figure, Figure) else figure
        console.print(f"  {part}: {time.perf_counter() - began:.0f} s")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        import bench_bulk
        import bench_http
        import bench_sweeps

        for kind in kinds:
            load = kind == "postgresql"
            record(
                "http",
                lambda kind=kind, load=load: bench_http.run(
                    kind,
                    folder,
                    size("BENCH_API_PAIRS"),
                    size("BENCH_LOAD_CLIENTS") if load else 0,
                    size("BENCH_LOAD_SECONDS"),
                ),
            )
        record("bulk", lambda: bench_bulk.precheck(folder, size("BENCH_BULK_LINES")))
        record(
            "close",
            lambda: bench_bulk.close(kinds[-1], folder, size("BENCH_CLOSE_CARDS")),
        )
        if postgres:
            import fleet_run

            record(
                "fleet",
                lambda: fleet_run.run(
                    size("BENCH_FLEET_RUN_CARDS"), size("BENCH_FLEET_RUN_WORKERS"), overlap=True
                ),
            )
        record(
            "sweep",
            lambda: bench_sweeps.run(folder, size("BENCH_SWEEP_SMALL"), size("BENCH_SWEEP_LARGE")),
        )
        record("hlr", lambda: _external("bench_hlr", "BENCH_HLR_BARS"))
        record("import", lambda: _external("bench_import", "BENCH_IMPORT_SIZE"))
        record("reassigned", lambda: _external("bench_reassigned", "BENCH_REASSIGNED_SIZE"))

    table = Table("figure", "Lineclose", "baseline", "ratio", "target", "meets", "note")
    for name, f in figures.items():
        table.add_row(
            name,
            f"{f['value']:.4g}",
            f"{f['baseline']:.4g}",
            f"{f['ratio']:.2f}x",
            f"<= {f['target']}x",
            "[green]yes[/green]" if f["meets"] else "[red]no[/red]",
            str(f.get("note", "")),
        )
    console.print(table)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "quick": QUICK,
                "seconds": round(time.perf_counter() - started, 1),
                "figures": figures,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    console.print(f"written {OUT} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
