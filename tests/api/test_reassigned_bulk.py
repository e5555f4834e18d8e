"""Reassigned-number checks in bulk: the batch API, the file (API and CLI), and their agreement
with the single check on the same data."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import insert
from typer.testing import CliRunner

from lineclose.bootstrap import App
from lineclose.config import Settings
from lineclose.db import models
from lineclose.domain.reassigned import RECORDS_SINCE, Reassigned, reassigned
from lineclose.services.context import Role, Scope
from lineclose.services.reassigned import DisconnectionIndex, latest_disconnection, load_index
from tests.api.standards_support import token
from tests.factories import make_operator

BATCH = "/api/v1/reassigned-numbers/check"
FILE = "/api/v1/reassigned-numbers/file"
CHECKER = frozenset({Scope.NUMBER_RECYCLING_CHECK})


def seed_disconnections(app: App, count: int, seed: int = 7) -> tuple[int, int, list[str]]:
    """Operator A with `count` numbers disconnected (some twice), operator B with a few;
    inserted set-based, as a report import would. Returns both operator ids and A's numbers."""
    rng = random.Random(seed)
    with app.sessions.begin() as session:
        a = make_operator(session, app.deps, "us").id
        b = make_operator(session, app.deps, "us").id
        now = app.deps.clock.now()
        numbers = [f"+1202{n:07d}" for n in rng.sample(range(10**7), count + 5)]
        mine, theirs = numbers[:count], numbers[count:]
        session.execute(
            insert(models.Number),
            [
                {
                    "msisdn": m,
                    "operator_id": a if m in mine else b,
                    "state": "available",
                    "updated_at": now,
                }
                for m in numbers
            ],
        )
        day0 = date(2021, 1, 1)
        rows = [
            {"msisdn": m, "disconnected_on": day0 + timedelta(days=rng.randrange(2100))}
            for m in numbers
        ]
        rows += [
            dict(r, disconnected_on=r["disconnected_on"] - timedelta(days=400))
            for r in rows[: count // 3]
        ]
        session.execute(insert(models.Disconnection), rows)
    return a, b, mine + theirs


def test_the_bulk_check_agrees_with_the_single_check_on_the_same_data(app: App) -> None:
    a, _, numbers = seed_disconnections(app, 300)
    rng = random.Random(11)
    queries = [(m, date(2020, 6, 1) + timedelta(days=rng.randrange(2300))) for m in numbers]
    queries += [(f"+1303{n:07d}", date(2020, 1, 1) + timedelta(days=n * 40)) for n in range(60)]
    with app.sessions() as session:
        index = load_index(session, a)
        single = [reassigned(latest_disconnection(session, m, a), d) for m, d in queries]
    codes = index.answer(
        np.array([int(m[1:]) for m, _ in queries], dtype=np.int64),
        np.array([d.toordinal() for _, d in queries], dtype=np.int64),
    )
    bulk = [(Reassigned.NO, Reassigned.YES, Reassigned.NO_DATA)[c] for c in codes.tolist()]
    assert bulk == single
    counts = {answer: bulk.count(answer) for answer in Reassigned}
    assert all(counts[answer] >= 10 for answer in Reassigned), counts
    # operator B's five numbers never answer yes to operator A
    assert all(answer is not Reassigned.YES for answer in bulk[300:305])


def test_the_index_keeps_each_numbers_latest_disconnection() -> None:
    index = DisconnectionIndex.build(
        np.array([5, 3, 5, 9], dtype=np.int64), np.array([10, 7, 30, 2], dtype=np.int64)
    )
    assert index.numbers.tolist() == [3, 5, 9]
    assert index.latest.tolist() == [7, 30, 2]
    since = RECORDS_SINCE.toordinal()
    empty = DisconnectionIndex.build(np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    assert empty.answer(
        np.array([1, 2], dtype=np.int64), np.array([since - 1, since], dtype=np.int64)
    ).tolist() == [2, 0]


def test_the_batch_api_answers_up_to_a_thousand_pairs_scoped_to_the_operator(
    app: App, client: TestClient
) -> None:
    a, b, numbers = seed_disconnections(app, 40)
    with app.sessions() as session:
        index_a = load_index(session, a)
    mine = numbers[0]
    latest = date.fromordinal(int(index_a.latest[np.searchsorted(index_a.numbers, int(mine[1:]))]))
    queries = [
        {"phoneNumber": mine, "consentDate": latest.isoformat()},  # yes: on the day
        {"phoneNumber": mine, "consentDate": (latest + timedelta(days=1)).isoformat()},  # no
        {"phoneNumber": "+13035550000", "consentDate": "2020-01-01"},  # no data
        {"phoneNumber": numbers[-1], "consentDate": "2021-02-01"},  # B's number: no for A
    ]
    headers = token(app, Role.INTEGRATION, a, CHECKER)
    answer = client.post(BATCH, json={"queries": queries}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert [r["answer"] for r in answer.json()["results"]] == ["yes", "no", "no_data", "no"]
    assert answer.json()["counts"] == {"yes": 1, "no": 2, "no_data": 1}
    as_b = client.post(
        BATCH, json={"queries": queries[3:]}, headers=token(app, Role.INTEGRATION, b, CHECKER)
    )
    assert as_b.json()["results"][0]["answer"] == "yes"

    too_many = client.post(BATCH, json={"queries": [queries[0]] * 1001}, headers=headers)
    assert too_many.status_code == 422
    bad = client.post(
        BATCH, json={"queries": [{"phoneNumber": "2025550", "consentDate": "x"}]}, headers=headers
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {
        "queries.0.phoneNumber",
        "queries.0.consentDate",
    }
    unscoped = token(app, Role.INTEGRATION, a, frozenset({Scope.PRECHECK}))
    assert client.post(BATCH, json={"queries": queries}, headers=unscoped).status_code == 403
    assert client.post(BATCH, json={"queries": queries}).status_code == 401


def _csv(rows: list[tuple[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("phone_number", "consent_date", "customer_ref"))
    writer.writerows((n, d, f"ref-{i}") for i, (n, d) in enumerate(rows))
    return out.getvalue()


def test_a_file_is_answered_row_by_row_and_bad_rows_are_rejected_by_row_and_field(
    app: App, client: TestClient
) -> None:
    a, _, numbers = seed_disconnections(app, 200)
    rows = [(m, "2021-02-01") for m in numbers[:200]]
    rows.insert(5, ("not-a-number", "2021-02-01"))
    rows.insert(9, (numbers[0], "2021-13-01"))
    headers = {**token(app, Role.INTEGRATION, a, CHECKER), "content-type": "text/csv"}
    answer = client.post(FILE, content=_csv(rows).encode(), headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    answers_part, rejects_part = answer.text.split("# rejects\n")
    answered = list(csv.DictReader(io.StringIO(answers_part)))
    assert len(answered) == 200 == int(answer.headers["X-Answered-Rows"])
    assert list(csv.reader(io.StringIO(rejects_part))) == [
        ["row", "field", "message"],
        ["7", "phone_number", "must be E.164: '+' then 5 to 15 digits"],
        ["11", "consent_date", "must be a date, YYYY-MM-DD"],
    ]
    with app.sessions() as session:
        for row in answered[:50]:
            consent = date.fromisoformat(row["consent_date"])
            expected = reassigned(latest_disconnection(session, row["phone_number"], a), consent)
            assert row["answer"] == expected.value
    counts = {a.value: sum(r["answer"] == a.value for r in answered) for a in Reassigned}
    assert counts["yes"] > 0 and counts["no"] > 0
    assert int(answer.headers["X-Answer-Yes"]) == counts["yes"]

    no_header = client.post(FILE, content=b"a,b\n1,2\n", headers=headers)
    assert no_header.status_code == 422 and no_header.json()["code"] == "invalid_file"


def test_the_cli_checks_a_file_with_a_progress_bar(
    app: App, settings: Settings, tmp_path: Path
) -> None:
    from lineclose.cli.main import app as cli

    _, _, numbers = seed_disconnections(app, 120)
    source = tmp_path / "numbers.csv"
    rows = [(m, "2019-05-01") for m in numbers] + [("+13035550000", "2019-05-01"), ("+1", "")]
    source.write_text(_csv(rows))
    env = {
        "LINECLOSE_DATABASE_URL": settings.database_url,
        "LINECLOSE_DATA_KEYS": settings.data_keys.get_secret_value(),
    }
    result = CliRunner().invoke(cli, ["numbers", "check", str(source)], env=env)
    assert result.exit_code == 0, result.output
    answered = list(csv.DictReader((tmp_path / "numbers.answers.csv").open()))
    assert len(answered) == 126
    assert [r["answer"] for r in answered].count("yes") == 125  # all later disconnected
    assert answered[-1]["answer"] == "no_data"  # unknown, and consent before the records
    rejects = list(csv.reader((tmp_path / "numbers.rejects.csv").open()))
    assert rejects[1][:2] == ["128", "phone_number"]
    assert "rejected" in result.output
