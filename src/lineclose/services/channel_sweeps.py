"""Sweeps of the SMS, reminder and fleet channels, run with the worker's other sweeps."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db.models_fleet import FleetBatch
from lineclose.services.context import Deps
from lineclose.services.fleet.submission import submit_chunk
from lineclose.services.idle.sweep import sweep as idle_sweep

FLEET_CARDS_PER_SWEEP = 200


def run(session: Session, deps: Deps) -> None:
    """Idle-line reminders, then the next cards of approved fleet batches (approved over the
    API or the console, or loaded by a CLI run that stopped): a bounded chunk per sweep."""
    idle_sweep(session, deps)
    batch = session.execute(
        select(FleetBatch).where(FleetBatch.status == "approved").order_by(FleetBatch.id).limit(1)
    ).scalar_one_or_none()
    if batch is not None:
        submit_chunk(session, deps, batch, FLEET_CARDS_PER_SWEEP)
