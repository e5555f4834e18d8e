"""Fleet closures from a file, reviewed as one batch: loading with rejects, review as a whole
or line by line, four eyes, auto-approval, chunked submission that resumes, the result file."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.db.models_fleet import FleetBatchLine
from lineclose.errors import Conflict, Forbidden
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.fleet import batches, submission
from lineclose.services.fleet.rows import parse_rows
from lineclose.services.reads import fleet as fleet_reads
from lineclose.services.reads.fleet import batch_lines, list_batches, result_csv
from lineclose.worker.dispatcher import Worker
from tests.factories import make_line, make_operator

LOADER = Actor(Role.AGENT, "loader", Channel.BULK)
REVIEWER = Actor(Role.REVIEWER, "reviewer", Channel.SYSTEM)
AUTH = batches.FleetAuthorisation("it@acme.example", "ACME board resolution 2026-14")


def _fleet(
    app: App, auto_approval: dict[str, object] | None = None
) -> tuple[str, list[models.Line]]:
    with app.sessions.begin() as session:
        operator = make_operator(session, app.deps, "cn", auto_approval=auto_approval or {})
        cards = [
            make_line(session, app.deps, operator, kind="data-only", fleet_account="ACME")
            for _ in range(3)
        ]
        cards.append(
            make_line(
                session,
                app.deps,
                operator,
                kind="data-only",
                fleet_account="ACME",
                payment="postpaid",
                unpaid_bills=[(1_500, date(2026, 11, 1))],
            )
        )
        session.expunge_all()
        return operator.code, cards


def _file(cards: list[models.Line]) -> list[str]:
    text = "\n".join(
        [
            "card,requested_date",
            f"{cards[0].msisdn},",
            f"{cards[1].iccid},",
            f"{cards[2].msisdn},2026-12-31",
            f"{cards[3].msisdn},",
            "12,",
            "+8613912345678,",
            f"{cards[0].msisdn},",
            f"{cards[2].iccid},2020-01-01",
        ]
    )
    return io.StringIO(text + "\n").readlines()


def _load(app: App, operator: str, cards: list[models.Line]) -> batches.Loaded:
    with app.sessions.begin() as session:
        loaded = batches.load(
            session, app.deps, LOADER, operator, parse_rows(_file(cards), "CN"), AUTH
        )
        session.expunge_all()
        return loaded


def _approved(app: App) -> str:
    """A fleet's file loaded and approved as a whole; its batch reference."""
    operator, cards = _fleet(app)
    reference = _load(app, operator, cards).batch.reference
    with app.sessions.begin() as session:
        batches.decide(session, app.deps, REVIEWER, reference, True)
    return reference


def test_a_file_loads_as_one_batch_with_bad_rows_rejected_and_loading_again_resumes_it(
    app: App,
) -> None:
    operator, cards = _fleet(app)

    loaded = _load(app, operator, cards)

    assert loaded.created
    assert [(r.row_number, r.field) for r in loaded.rejects] == [
        (6, "card"),
        (8, "card"),
        (7, "card"),
        (9, "requested_date"),
    ]
    assert loaded.batch.summary["lines"] == 4
    assert loaded.batch.summary["clean"] == 3
    assert loaded.batch.summary["blockers"] == {"ARREARS": 1}
    with app.sessions() as session:
        queue = list_batches(session, REVIEWER)
        assert [(b.reference, b.status) for b in queue] == [
            (loaded.batch.reference, "under_review")
        ]
        assert queue[0].authorised_contact != AUTH.contact  # masked
    again = _load(app, operator, cards)
    assert (again.created, again.batch.reference) == (False, loaded.batch.reference)


def test_reviewers_decide_line_by_line_or_as_a_whole_and_never_their_own_batch(
    app: App,
) -> None:
    operator, cards = _fleet(app)
    reference = _load(app, operator, cards).batch.reference

    with app.sessions.begin() as session, pytest.raises(Forbidden):
        batches.decide(session, app.deps, LOADER, reference, True)
    with app.sessions.begin() as session, pytest.raises(Conflict):
        batches.decide(session, app.deps, REVIEWER, reference, True, rows=[5])
    with app.sessions.begin() as session:
        assert batches.decide(session, app.deps, REVIEWER, reference, False, rows=[4]) == {
            "approved": 0,
            "rejected": 1,
        }
        assert batches.decide(session, app.deps, REVIEWER, reference, True, rows=[2]) == {
            "approved": 1,
            "rejected": 0,
        }
        assert batches.decide(session, app.deps, REVIEWER, reference, True) == {
            "approved": 1,
            "rejected": 1,
        }
    with app.sessions() as session:
        states = {v.row: v.state for v in batch_lines(session, REVIEWER, reference)}
        assert states == {2: "approved", 3: "approved", 4: "rejected", 5: "rejected"}
        assert list_batches(session, REVIEWER) == []


def test_approved_cards_are_submitted_in_chunks_that_resume_after_a_crash(
    app: App, worker: Worker
) -> None:
    reference = _approved(app)

    with app.sessions.begin() as session:
        batch = batches.get_batch(session, LOADER, reference)
        assert submission.submit_chunk(session, app.deps, batch, limit=1) == 1
    with app.sessions() as session:  # a second chunk dies before commit
        batch = batches.get_batch(session, LOADER, reference)
        submission.submit_chunk(session, app.deps, batch, limit=1)
        session.rollback()
    while True:
        with app.sessions.begin() as session:
            batch = batches.get_batch(session, LOADER, reference)
            if submission.submit_chunk(session, app.deps, batch, limit=1) == 0:
                break
    worker.run_until_idle()

    with app.sessions() as session:
        requests = list(
            session.execute(
                select(models.ClosureRequest).order_by(models.ClosureRequest.id)
            ).scalars()
        )
        assert len(requests) == 3
        assert {r.channel for r in requests} == {"bulk"}
        assert {tuple(r.identity_methods) for r in requests} == {("fleet_authorisation",)}
        assert {r.status for r in requests} == {"closed", "scheduled"}
        assert all(r.alternate_contact_masked for r in requests)
        assert batches.get_batch(session, LOADER, reference).status == "done"
        rows = list(csv.DictReader(io.StringIO(result_csv(session, REVIEWER, reference))))
    by_row = {int(r["row"]): r for r in rows}
    assert by_row[2]["state"] == "closed" and by_row[2]["reference"].startswith("LC-")
    assert by_row[4]["state"] == "scheduled"
    assert by_row[5]["state"] == "rejected" and by_row[5]["blockers"] == "ARREARS"
    assert by_row[5]["reference"] == ""


def test_the_result_file_streamed_in_partitions_holds_every_line_once_in_row_order(
    app: App, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = _approved(app)
    with app.sessions.begin() as session:
        while submission.submit_next(session, app.deps, LOADER, reference):
            pass
    worker.run_until_idle()
    monkeypatch.setattr(fleet_reads, "RESULT_PARTITION", 2)
    with app.sessions() as session:
        chunks = list(fleet_reads.result_chunks(session, REVIEWER, reference))
        pages = batch_lines(session, REVIEWER, reference, limit=None)
    assert len(chunks) == 2  # the header with rows 2 and 3, then rows 4 and 5
    rows = list(csv.DictReader(io.StringIO("".join(chunks))))
    assert [int(r["row"]) for r in rows] == [v.row for v in pages] == [2, 3, 4, 5]
    assert [r["state"] for r in rows] == [v.request_status or v.state for v in pages]
    assert [r["reference"] for r in rows] == [v.reference or "" for v in pages]


def test_the_auto_approval_policy_clears_a_batch_that_meets_it(app: App) -> None:
    policy = {
        "enabled": True,
        "identity_methods": ["fleet_authorisation"],
        "allow_fleet_data_cards": True,
    }
    operator, cards = _fleet(app, policy)
    clean_file = ["card\n", f"{cards[0].msisdn}\n", f"{cards[1].iccid}\n"]

    with app.sessions.begin() as session:
        loaded = batches.load(
            session, app.deps, LOADER, operator, parse_rows(clean_file, "CN"), AUTH
        )
        assert loaded.batch.status == "approved"
        assert loaded.batch.decided_by == "system:lineclose"
        assert {s for (s,) in session.execute(select(FleetBatchLine.state)).all()} == {"approved"}
