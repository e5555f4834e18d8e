"""The audit chain and the outbox on a real database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from lineclose.bootstrap import App
from lineclose.db import audit, models, outbox
from lineclose.ports.clock import FrozenClock


def test_an_edited_audit_entry_is_reported_as_the_first_broken_link(app: App) -> None:
    now = app.deps.clock.now()
    with app.sessions.begin() as session:
        for n in range(5):
            audit.append(session, now, "system:test", "thing.done", "thing", str(n), {"n": n})
    with app.sessions() as session:
        assert audit.verify_chain(session).first_broken_id is None
    with app.sessions.begin() as session:
        session.execute(
            update(models.AuditEntry)
            .where(models.AuditEntry.entity_id == "2")
            .values(details={"n": 99})
        )
    with app.sessions() as session:
        report = audit.verify_chain(session)
    assert report.first_broken_id == 3
    assert report.problem == "entry content does not match its hash"


def test_an_outbox_step_is_enqueued_once_per_key(app: App) -> None:
    now = app.deps.clock.now()
    with app.sessions.begin() as session:
        first = outbox.enqueue(session, now, "send_sms", "k:1", {"a": 1})
        second = outbox.enqueue(session, now, "send_sms", "k:1", {"a": 2})
        assert first.id == second.id


def test_a_leased_step_is_not_claimed_again_until_its_lease_ends(
    app: App, clock: FrozenClock
) -> None:
    now = clock.now()
    with app.sessions.begin() as session:
        outbox.enqueue(session, now, "send_sms", "k:2")
    with app.sessions.begin() as session:
        claimed = outbox.claim(session, now, "w1", timedelta(seconds=60))
    assert claimed is not None and claimed.attempts == 1
    with app.sessions.begin() as session:
        assert outbox.claim(session, now, "w2", timedelta(seconds=60)) is None
    with app.sessions.begin() as session:
        again = outbox.claim(session, now + timedelta(seconds=61), "w2", timedelta(seconds=60))
    assert again is not None and again.id == claimed.id and again.attempts == 2
