"""Handing batch files to the bank through the payout folder."""

from __future__ import annotations

import os
from pathlib import Path

from lineclose.services.payouts.batches import BatchFile


def write_batch_file(folder: Path, batch: BatchFile) -> Path:
    """Write whole or not at all, after the batch committed: the bank must never pick up half a
    file, nor a file whose batch rolled back. Owner-only: it holds account numbers."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / batch.file_name
    partial = target.with_suffix(target.suffix + ".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(batch.content)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, target)
    return target
