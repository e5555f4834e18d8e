"""The set-based submission of a fleet batch leaves exactly what submitting one card at a time
leaves (requests, states, history, audit, outbox), on SQLite and PostgreSQL; it resumes after a
crash without submitting a card twice, and its statement count does not grow with the chunk."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from lineclose.bootstrap import App
from lineclose.cli.bulk import run_close
from lineclose.db import audit, bulk_writes, models
from lineclose.db.models_fleet import FleetBatch, FleetBatchLine
from lineclose.domain.facts import IdentityMethod
from lineclose.domain.identifiers import mask_contact, mask_msisdn
from lineclose.errors import LinecloseError
from lineclose.services.closure.batch_plan import BatchSpec, CardIn
from lineclose.services.closure.batch_submit import submit_batch
from lineclose.services.closure.input import ClosureInput
from lineclose.services.closure.submit import submit
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.fleet import account_close, batches, submission, submission_each
from lineclose.services.fleet.rows import parse_rows
from lineclose.services.identity import IdentityEvidence
from lineclose.services.seed import iccid
from tests.factories import make_line, make_operator

LOADER = Actor(Role.AGENT, "loader", Channel.BULK)
REVIEWER = Actor(Role.REVIEWER, "reviewer", Channel.SYSTEM)
AUTH = batches.FleetAuthorisation("it@acme.example", "ACME board resolution 2026-14")
ACCOUNT = "6222020200112233445"

# One card of each kind, in file order: clean today, clean on a later date, a refund above the
# second-approval threshold, a card that gains an unpaid bill after approval (blocked at
# submission), one whose line gets another open request meanwhile (refused), and clean again.
KINDS = ("clean", "scheduled", "second", "blocked", "open", "clean")


def _fleet(app: App, operator: models.Operator) -> list[models.Line]:
    with app.sessions.begin() as session:
        session.add(operator)
        lines = [
            make_line(
                session,
                app.deps,
                operator,
                kind="data-only",
                fleet_account="ACME",
                paid_credit_minor=60_000 if kind == "second" else 0,
            )
            for kind in KINDS
        ]
        session.expunge_all()
        return lines


def _batch(app: App, operator_code: str, lines: list[models.Line]) -> str:
    text = ["card,requested_date\n"] + [
        f"{line.msisdn},{'2026-12-31' if kind == 'scheduled' else ''}\n"
        for line, kind in zip(lines, KINDS, strict=True)
    ]
    with app.sessions.begin() as session:
        reference = batches.load(
            session,
            app.deps,
            LOADER,
            operator_code,
            parse_rows(text, "CN"),
            AUTH,
            ACCOUNT,
        ).batch.reference
    with app.sessions.begin() as session:
        batches.decide(session, app.deps, REVIEWER, reference, True)
    with app.sessions.begin() as session:  # facts change between review and submission
        blocked = lines[KINDS.index("blocked")]
        session.add(
            models.Bill(
                line_id=blocked.id,
                period_start=date(2026, 10, 1),
                period_end=date(2026, 10, 31),
                amount_minor=1_500,
                currency="CNY",
                due_on=date(2026, 11, 1),
            )
        )
        other = lines[KINDS.index("open")]
        desk = Actor(Role.ADMIN, "desk", Channel.API)
        submit(session, app.deps, desk, other.msisdn, ClosureInput())
    return reference


def _two_batches(app: App) -> tuple[str, str]:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        code = operator.code
        session.expunge_all()
    one = _batch(app, code, _fleet(app, operator))
    two = _batch(app, code, _fleet(app, operator))
    return one, two


def _request_snapshot(
    app: App, session: Session, request: models.ClosureRequest, names: dict[str, str]
) -> dict[str, Any]:
    """What one request's submission wrote, with what differs by nature between two requests
    (ids, references, numbers, ciphertexts) replaced by placeholders."""
    vault = app.deps.vault
    line = session.get(models.Line, request.line_id)
    assert line is not None
    names = {
        request.reference: "<ref>",
        **names,
        line.msisdn: "<msisdn>",
        mask_msisdn(line.msisdn): "<number>",
        mask_contact(line.msisdn): "<number>",
    }

    def plain(value: Any) -> str:
        text = str(value)
        for raw, placeholder in names.items():
            text = text.replace(raw, placeholder)
        return re.sub(r"'bill_id': \d+", "'bill_id': <bill>", text)

    columns = {
        c.name: getattr(request, c.key)
        for c in models.ClosureRequest.__table__.columns
        if c.name not in ("id", "reference", "line_id", "version", "payload_digest")
        and not c.name.endswith("_enc")
    }
    events = (
        session.execute(
            select(models.RequestEvent)
            .where(models.RequestEvent.request_id == request.id)
            .order_by(models.RequestEvent.id)
        )
        .scalars()
        .all()
    )
    position = {e.id: str(i) for i, e in enumerate(events)}

    def key(raw: str) -> str:
        owner, _, rest = raw.partition(":")
        assert owner == str(request.id)
        kind, _, event_id = rest.rpartition(":")
        return f"{kind}:event {position[int(event_id)]}" if kind else rest

    entries = session.execute(
        select(models.AuditEntry)
        .where(models.AuditEntry.entity_id == request.reference)
        .order_by(models.AuditEntry.id)
    ).scalars()
    rows = session.execute(
        select(models.OutboxRow)
        .where(models.OutboxRow.request_id == request.id)
        .order_by(models.OutboxRow.id)
    ).scalars()
    return {
        "request": plain(columns),
        "contact": request.alternate_contact_enc and vault.decrypt(request.alternate_contact_enc),
        "account": request.refund_account_enc and vault.decrypt(request.refund_account_enc),
        "events": [
            plain((e.from_state, e.to_state, e.command, e.actor, e.channel, e.reason))
            for e in events
        ],
        "audit": [plain((a.actor, a.action, a.entity, a.details, a.at)) for a in entries],
        "outbox": [
            plain(
                (
                    r.step,
                    key(r.idempotency_key),
                    r.status,
                    r.payload.get("notice"),
                    r.payload.get("to_masked"),
                    vault.decrypt(r.payload["text_enc"]) if "text_enc" in r.payload else "",
                    vault.decrypt(r.payload["to_enc"]) == line.msisdn
                    if "to_enc" in r.payload
                    else None,
                )
            )
            for r in rows
        ],
    }


def _snapshot(app: App, reference: str) -> list[Any]:
    """Everything a batch's submission wrote, per card in file order."""
    with app.sessions() as session:
        batch = session.execute(
            select(FleetBatch).where(FleetBatch.reference == reference)
        ).scalar_one()
        cards = session.execute(
            select(FleetBatchLine)
            .where(FleetBatchLine.batch_id == batch.id)
            .order_by(FleetBatchLine.row_number)
        ).scalars()
        out: list[Any] = [batch.status]
        for card in cards:
            item: dict[str, Any] = {"state": card.state, "error": card.error}
            request = session.get(models.ClosureRequest, card.request_id or 0)
            if request is not None:
                item.update(_request_snapshot(app, session, request, {batch.reference: "<batch>"}))
            out.append(item)
        return out


def _submit_all(app: App, reference: str, each: bool) -> None:
    module = submission_each if each else submission
    while True:
        with app.sessions.begin() as session:
            batch = batches.get_batch(session, LOADER, reference)
            if module.submit_chunk(session, app.deps, batch, limit=4) == 0:
                return


def test_a_chunk_submitted_as_a_set_equals_one_card_at_a_time(app: App) -> None:
    one, two = _two_batches(app)

    _submit_all(app, one, each=True)
    _submit_all(app, two, each=False)

    each, batched = _snapshot(app, one), _snapshot(app, two)
    assert batched == each
    states = [(c["state"], c.get("request", "")) for c in batched[1:]]
    assert [s for s, _ in states] == ["submitted"] * 4 + ["failed", "submitted"]
    assert batched[5]["error"] == "open_request_exists"
    statuses = [re.search(r"'status': '(\w+)'", r).group(1) for _, r in states if r]  # type: ignore[union-attr]
    assert statuses == ["approved", "scheduled", "under_review", "needs_action", "approved"]
    # The batch's fleet authorisation is each card's identity from its submission: no card
    # passes through "identity not verified" and back.
    history = [[re.sub(r"^\((?:None|'\w+'), '(\w+)', '(\w+)'.*", r"\2>\1", e) for e in c["events"]]
               for c in batched[1:] if "events" in c]  # fmt: skip
    assert history[0] == ["submit>submitted", "queue_for_review>under_review", "approve>approved"]
    assert history[3] == ["submit>submitted", "raise_blockers>needs_action"]
    assert "IDENTITY_NOT_VERIFIED" not in str(batched[4]["request"])
    # A card closing at once is barred before the batch's notices go out: it is not told of
    # its approval (its contact gets the closing summary); a card closing later is told its date.
    steps = [[re.sub(r"^\('(\w+)', '[^']*', '\w+', (\S+?),.*", r"\1 \2", o) for o in c["outbox"]]
             for c in batched[1:] if "outbox" in c]  # fmt: skip
    assert steps[0] == ["begin_execution None"]
    assert steps[1] == ["send_sms 'approved'"]
    assert steps[4] == ["begin_execution None"]
    with app.sessions() as session:
        assert audit.verify_chain(session).first_broken_id is None


def test_a_crash_mid_run_loses_nothing_and_submits_no_card_twice(app: App) -> None:
    _, reference = _two_batches(app)

    with app.sessions() as session:  # a chunk dies before commit
        batch = batches.get_batch(session, LOADER, reference)
        assert submission.submit_chunk(session, app.deps, batch, limit=3) == 3
        session.rollback()
    with app.sessions.begin() as session:
        batch = batches.get_batch(session, LOADER, reference)
        assert submission.remaining(session, batch) == 6
        assert submission.submit_chunk(session, app.deps, batch, limit=2) == 2
    _submit_all(app, reference, each=False)

    with app.sessions() as session:
        requests = (
            session.execute(
                select(models.ClosureRequest.line_id).where(models.ClosureRequest.channel == "bulk")
            )
            .scalars()
            .all()
        )
        assert len(requests) == len(set(requests)) == 5
        keys = session.execute(select(models.OutboxRow.idempotency_key)).scalars().all()
        assert len(keys) == len(set(keys))
        assert audit.verify_chain(session).first_broken_id is None
        assert batches.get_batch(session, LOADER, reference).status == "done"


def test_a_chunk_repeated_under_the_same_keys_answers_with_its_first_requests(app: App) -> None:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        lines = [make_line(session, app.deps, operator, kind="data-only") for _ in range(3)]
        spec = BatchSpec(
            actor=Actor(Role.ADMIN, "ops", Channel.BULK, operator_id=operator.id),
            operator_id=operator.id,
            given=ClosureInput(alternate_contact="it@acme.example"),
        )
        cards = [CardIn(line.id, f"k{line.id}") for line in lines]
    with app.sessions.begin() as session:
        first = submit_batch(session, app.deps, spec, cards)
    with app.sessions.begin() as session:
        again = submit_batch(session, app.deps, spec, cards)

    assert [o.created for o in first] == [True] * 3
    assert [(o.request_id, o.created) for o in again] == [(o.request_id, False) for o in first]
    with app.sessions() as session:
        assert len(session.execute(select(models.ClosureRequest.id)).all()) == 3


def test_references_that_clash_are_drawn_again_without_failing_a_card(app: App) -> None:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        lines = [make_line(session, app.deps, operator, kind="data-only") for _ in range(3)]
        spec = BatchSpec(
            actor=Actor(Role.ADMIN, "ops", Channel.BULK, operator_id=operator.id),
            operator_id=operator.id,
            given=ClosureInput(alternate_contact="it@acme.example"),
        )
    bodies = iter([c * 9 for c in "AABACD"])
    with app.sessions.begin() as session:
        first = submit_batch(
            session, app.deps, spec, [CardIn(lines[0].id)], draw_reference=lambda: next(bodies)
        )
        rest = submit_batch(
            session,
            app.deps,
            spec,
            [CardIn(line.id) for line in lines[1:]],
            draw_reference=lambda: next(bodies),
        )
    references = [o.reference for o in first + rest]
    assert None not in references and len(set(references)) == 3


def _count_statements(app: App, reference: str, limit: int) -> int:
    counted = 0

    def count(*_: Any) -> None:
        nonlocal counted
        counted += 1

    event.listen(app.engine, "before_cursor_execute", count)
    try:
        with app.sessions.begin() as session:
            batch = batches.get_batch(session, LOADER, reference)
            assert submission.submit_chunk(session, app.deps, batch, limit=limit) == limit
    finally:
        event.remove(app.engine, "before_cursor_execute", count)
    return counted


def test_the_statements_of_a_chunk_do_not_grow_with_its_cards(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every insert as one counted executemany (a COPY's raw cursor is not seen by the event).
    monkeypatch.setattr(bulk_writes, "_COPY_FROM", 10**9)
    one, two = _two_batches(app)

    assert _count_statements(app, one, 2) == _count_statements(app, two, 5)


def _account_fleet(app: App, operator: models.Operator, fleet: str) -> list[models.Line]:
    """A fleet account: clean cards, one with an unpaid bill, one with a refund to pay."""
    with app.sessions.begin() as session:
        session.add(operator)
        lines = [
            make_line(
                session,
                app.deps,
                operator,
                kind="data-only",
                fleet_account=fleet,
                paid_credit_minor=500 if n == 2 else 0,
                unpaid_bills=[(1_500, date(2026, 11, 1))] if n == 1 else [],
            )
            for n in range(4)
        ]
        session.expunge_all()
        return lines


def _close_each(app: App, operator_id: int, fleet: str, lines: list[models.Line]) -> Counter[str]:
    """`lineclose bulk close` as it was: one `closure.submit` per line, each committed alone."""
    actor = Actor(Role.ADMIN, "ops", Channel.BULK, operator_id=operator_id)
    given = ClosureInput(
        alternate_contact="it@acme.example",
        identity=(IdentityEvidence(IdentityMethod.ID_DOCUMENT_SEEN),),
    )
    outcome: Counter[str] = Counter()
    for line in lines:
        try:
            with app.sessions.begin() as session:
                request = submit(
                    session, app.deps, actor, line.msisdn, given, f"bulk:{fleet}:{line.msisdn}"
                ).request
                outcome[request.status] += 1
        except LinecloseError as exc:
            outcome[exc.code] += 1
    return outcome


@pytest.mark.parametrize("auto", [False, True], ids=["reviewed", "auto-approved"])
def test_bulk_close_of_a_fleet_account_equals_one_line_at_a_time(app: App, auto: bool) -> None:
    policy = {"enabled": True, "identity_methods": ["id_document_seen"]} if auto else {}
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn", auto_approval=policy)
        code, operator_id = operator.code, operator.id
        session.expunge_all()
    each_lines = _account_fleet(app, operator, "ONE")
    set_lines = _account_fleet(app, operator, "TWO")

    each = _close_each(app, operator_id, "ONE", each_lines)
    batched = run_close(app, code, "TWO", None, "it@acme.example", "ops")

    assert batched == each
    assert each["refund_account_required"] == 1
    assert run_close(app, code, "TWO", None, "it@acme.example", "ops") == batched  # replayed
    with app.sessions() as session:

        def snapshot(lines: list[models.Line], fleet: str) -> list[Any]:
            out = []
            for line in lines:
                request = session.execute(
                    select(models.ClosureRequest).where(models.ClosureRequest.line_id == line.id)
                ).scalar_one_or_none()
                out.append(request and _request_snapshot(app, session, request, {fleet: "<fleet>"}))
            return out

        assert snapshot(set_lines, "TWO") == snapshot(each_lines, "ONE")
        assert audit.verify_chain(session).first_broken_id is None


def _many_lines(app: App, count: int) -> tuple[int, list[tuple[int, str]]]:
    """An operator with `count` data cards of a fleet account, inserted at once."""
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn")
        first = make_line(session, app.deps, operator, kind="data-only", fleet_account="MANY")
        session.execute(
            insert(models.Line),
            [
                {
                    "operator_id": operator.id,
                    "subscriber_id": first.subscriber_id,
                    "msisdn": f"+86147{n:08d}",
                    "iccid": iccid(500_000 + n),
                    "imsi": f"46004{n:010d}",
                    "kind": "data-only",
                    "payment": "prepaid",
                    "status": "active",
                    "currency": "CNY",
                    "fleet_account": "MANY",
                    "activated_on": date(2024, 1, 1),
                }
                for n in range(1, count)
            ],
        )
        return operator.id, account_close.active_lines(session, operator.id, "MANY")


def test_a_chunk_of_thousands_takes_the_statements_of_a_few_and_its_audit_chains(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_writes, "_COPY_FROM", 10**9)  # every insert a counted statement
    operator_id, lines = _many_lines(app, 1_205)
    actor = Actor(Role.ADMIN, "ops", Channel.BULK, operator_id=operator_id)
    spec = account_close.account_spec(actor, operator_id, None, "it@acme.example")
    counted: list[int] = []

    def submit(chunk: list[tuple[int, str]]) -> Counter[str]:
        count = [0]

        def one(*_: Any) -> None:
            count[0] += 1

        event.listen(app.engine, "before_cursor_execute", one)
        try:
            with app.sessions.begin() as session:
                return account_close.submit_lines(session, app.deps, spec, "MANY", chunk)
        finally:
            event.remove(app.engine, "before_cursor_execute", one)
            counted.append(count[0])

    assert submit(lines[:5]) == Counter({"under_review": 5})
    assert submit(lines[5:]) == Counter({"under_review": 1_200})

    assert counted[0] == counted[1]
    with app.sessions() as session:
        report = audit.verify_chain(session)
        assert report.first_broken_id is None
        events = session.execute(select(func.count()).select_from(models.RequestEvent)).scalar()
        assert report.checked == events == 1_205 * 2
