"""The garbage collector paused over an import, and run once per batch instead.

A batch allocates some hundred thousand short-lived containers (rows, records, digests); with
the collector's default thresholds that sets off full collections that walk every object of
the process again and again (a quarter to a third of an import's time, measured). Objects
that exist before the import are frozen out of the collector's walks; what a batch leaves in
cycles is collected once the batch is done, so memory stays flat in the file's size.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.freeze()  # no collection first: what garbage it freezes is collected after unfreeze
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def after_batch() -> None:
    """Reclaim the cycles one batch left (its own objects only: older ones are frozen)."""
    if not gc.isenabled():
        gc.collect()
