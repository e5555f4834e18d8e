"""Submitting a closure: one request per Idempotency-Key on every channel, even when two
submissions race, and a fresh reference when a drawn one is taken."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.db.audit import verify_chain
from lineclose.domain.references import format_reference
from lineclose.errors import IdempotencyMismatch
from lineclose.services import closure
from lineclose.services.context import Actor, Channel, Role
from tests.factories import make_line, make_operator

OPS = Actor(Role.ADMIN, "ops", Channel.API)
GIVEN = closure.ClosureInput(alternate_contact="holder@example.com")


def _lines(app: App, count: int) -> list[str]:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps)
        return [make_line(session, app.deps, operator).msisdn for _ in range(count)]


def _count(app: App) -> int:
    with app.sessions() as session:
        return session.execute(select(func.count(models.ClosureRequest.id))).scalar_one()


def _audited(session: Session) -> dict[str, list[str]]:
    entries: dict[str, list[str]] = {}
    for entity_id, action in session.execute(
        select(models.AuditEntry.entity_id, models.AuditEntry.action)
        .where(models.AuditEntry.entity == "closure_request")
        .order_by(models.AuditEntry.id)
    ):
        entries.setdefault(entity_id, []).append(action)
    return entries


def test_a_repeated_key_returns_the_first_request_and_other_content_is_refused(app: App) -> None:
    msisdn = _lines(app, 1)[0]
    with app.sessions.begin() as session:
        first = closure.submit(session, app.deps, OPS, msisdn, GIVEN, "till-1")
        reference = first.request.reference
    with app.sessions.begin() as session:
        again = closure.submit(session, app.deps, OPS, msisdn, GIVEN, "till-1")
        assert not again.created
        assert again.request.reference == reference
    with app.sessions() as session, pytest.raises(IdempotencyMismatch):
        closure.submit(
            session, app.deps, OPS, msisdn, closure.ClosureInput(accept_etf=True), "till-1"
        )
    assert first.created
    assert _count(app) == 1


def test_a_taken_reference_is_drawn_again(app: App) -> None:
    first_line, second_line = _lines(app, 2)
    with app.sessions.begin() as session:
        taken = closure.submit(
            session, app.deps, OPS, first_line, GIVEN, draw_reference=lambda: "7KQ4MX2P9"
        )
        assert taken.request.reference == format_reference(2026, "7KQ4MX2P9")
    draws: Iterator[str] = iter(["7KQ4MX2P9", "7KQ4MX2PA"])
    with app.sessions.begin() as session:
        second = closure.submit(
            session, app.deps, OPS, second_line, GIVEN, draw_reference=lambda: next(draws)
        )
        assert second.created
        assert second.request.reference == format_reference(2026, "7KQ4MX2PA")
    assert _count(app) == 2
    with app.sessions() as session:
        found = closure.get_request(session, second.request.reference.lower().replace("-", ""))
        assert found.line.msisdn == second_line
        # The audit entries recorded under the clashing draw name the reference kept.
        assert _audited(session) == {
            taken.request.reference: ["request.submit", "request.raise_blockers"],
            second.request.reference: ["request.submit", "request.raise_blockers"],
        }
        assert verify_chain(session).first_broken_id is None


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_submission_that_loses_the_race_for_its_key_answers_with_the_winner(app: App) -> None:
    msisdn = _lines(app, 1)[0]
    winner: list[str] = []

    def draw_after_a_competitor_commits() -> str:
        # Between our "is this key new?" check and our insert, another process commits the key.
        if not winner:
            with app.sessions.begin() as other:
                won = closure.submit(other, app.deps, OPS, msisdn, GIVEN, "till-race")
                winner.append(won.request.reference)
        return "7KQ4MX2P9"

    with app.sessions.begin() as session:
        lost = closure.submit(
            session,
            app.deps,
            OPS,
            msisdn,
            GIVEN,
            "till-race",
            draw_reference=draw_after_a_competitor_commits,
        )
        assert not lost.created
        assert lost.request.reference == winner[0]
    assert _count(app) == 1
    # The loser's transitions were never written: only the winner's are audited.
    with app.sessions() as session:
        assert _audited(session) == {winner[0]: ["request.submit", "request.raise_blockers"]}
        assert verify_chain(session).first_broken_id is None
