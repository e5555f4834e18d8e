"""A value is judged against what the source said of it last, whichever path said it: a wide
file (one record per line holding all its parts), a per-kind file or the sync API. The same
value from another path is unchanged and writes nothing; another value is a change that
names its fields and is written where the last one was kept."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from lineclose.bootstrap import App
from lineclose.cli.import_files import run_import
from lineclose.db import models
from lineclose.db.migrate import downgrade, upgrade
from lineclose.db.models_data_in import LineActivity, SourceRecord
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.data_in import sync
from lineclose.services.data_in.bulk_import import Summary, operator_by_code
from lineclose.services.seed import cn_id_number, iccid
from tests.support.data_in import WIDE_COLUMNS, operator

COLUMNS = WIDE_COLUMNS
SYNC = Actor(Role.INTEGRATION, "crm", Channel.API)


def _number(n: int) -> str:
    return f"+86139{n:08d}"


def _wide_row(n: int, credit: int | None) -> dict[str, Any]:
    return {
        "msisdn": _number(n),
        "iccid": iccid(800_000 + n),
        "imsi": f"46000{n:010d}",
        "subscriber_ref": f"W{n:05d}",
        "name": "李娜",
        "id_number": cn_id_number("110105", date(1985, 3, n), n),
        "payment": "prepaid",
        "activated_on": "2024-02-01",
        "paid_credit_minor": "" if credit is None else credit,
        "unbilled_usage_minor": 5,
        "last_usage_on": "2026-11-02",
    }


def _wide(path: Path, credits: dict[int, int | None]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(_wide_row(n, credit) for n, credit in credits.items())
    return path


def _balances(path: Path, credits: dict[int, int]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("msisdn", "paid_credit_minor"))
        writer.writerows((_number(n), credit) for n, credit in credits.items())
    return path


def _import(app: App, code: str, path: Path) -> Summary:
    summary = run_import(app, code, [path], path.with_suffix(".rejects.csv"))
    assert summary.rejected == 0, summary
    return summary


def _outcome(summary: Summary) -> tuple[int, int, int]:
    return summary.inserted, summary.updated, summary.unchanged


def _stored(app: App) -> list[tuple[Any, ...]]:
    """What the source said, as kept, and the audit trail (not the digests of a per-kind
    file's raw rows, which a file seen for the first time leaves to be skipped next time)."""
    with app.sessions() as session:
        records = session.execute(
            select(
                SourceRecord.kind,
                SourceRecord.source_key,
                SourceRecord.digest,
                SourceRecord.field_digests,
                SourceRecord.updated_at,
            )
            .where(SourceRecord.kind.not_like("rows:%"))
            .order_by(SourceRecord.id)
        ).all()
        audited = session.execute(select(func.count()).select_from(models.AuditEntry)).scalar()
    return [*(tuple(r) for r in records), ("audit", audited)]


def _credit(app: App, n: int) -> int:
    with app.sessions() as session:
        return int(
            session.execute(
                select(models.Line.paid_credit_minor).where(models.Line.msisdn == _number(n))
            ).scalar_one()
        )


def _updates(app: App, entity: str) -> list[list[str]]:
    with app.sessions() as session:
        details = session.execute(
            select(models.AuditEntry.details)
            .where(models.AuditEntry.action == "data.updated", models.AuditEntry.entity == entity)
            .order_by(models.AuditEntry.id)
        ).scalars()
        return [d["fields"] for d in details]


def _own_records(app: App, kind: str) -> int:
    with app.sessions() as session:
        return int(
            session.execute(
                select(func.count()).select_from(SourceRecord).where(SourceRecord.kind == kind)
            ).scalar_one()
        )


def _sync(app: App, code: str, kind: str, raw: dict[str, Any]) -> sync.Synced:
    with app.sessions.begin() as session:
        operator = operator_by_code(session, code)
        return sync.sync(session, app.deps, SYNC, operator, kind, raw)


def test_a_balances_file_is_judged_against_the_balance_a_wide_row_gave_and_back(
    app: App, tmp_path: Path
) -> None:
    code = operator(app, "cn")
    wide = _wide(tmp_path / "wide.csv", {1: 101, 2: 102, 3: 103})
    assert _outcome(_import(app, code, wide)) == (3, 0, 0)

    before = _stored(app)
    same = _import(app, code, _balances(tmp_path / "balances.csv", {1: 101, 2: 102}))
    assert _outcome(same) == (0, 0, 2)
    assert _stored(app) == before  # the same balance from another file writes nothing

    moved = _import(app, code, _balances(tmp_path / "balances.csv", {1: 555, 2: 102}))
    assert _outcome(moved) == (0, 1, 1)
    assert _updates(app, "balances") == [["paid_credit_minor"]]
    assert _credit(app, 1) == 555
    assert _own_records(app, "balances") == 0  # kept where the wide row had put it

    restored = _import(app, code, wide)
    assert _outcome(restored) == (0, 1, 2)
    assert _updates(app, "balances") == [["paid_credit_minor"]] * 2
    assert _credit(app, 1) == 101

    before = _stored(app)
    assert _outcome(_import(app, code, wide)) == (0, 0, 3)
    assert _stored(app) == before


def test_a_wide_row_is_judged_against_the_balance_a_balances_file_gave(
    app: App, tmp_path: Path
) -> None:
    code = operator(app, "cn")
    assert _outcome(_import(app, code, _wide(tmp_path / "wide-1.csv", {1: None, 2: None}))) == (
        2,
        0,
        0,
    )
    _import(app, code, _balances(tmp_path / "balances.csv", {1: 500, 2: 600}))
    assert _own_records(app, "balances") == 2

    wide = _wide(tmp_path / "wide-2.csv", {1: 500, 2: 700})
    given = _import(app, code, wide)
    assert _outcome(given) == (0, 1, 1)  # line 1: the balance the file said last, unchanged
    assert _updates(app, "balances") == [["paid_credit_minor"]]
    assert (_credit(app, 1), _credit(app, 2)) == (500, 700)
    assert _own_records(app, "balances") == 0  # now kept in the lines' wide records

    before = _stored(app)
    assert _outcome(_import(app, code, _balances(tmp_path / "balances-2.csv", {1: 500}))) == (
        0,
        0,
        1,
    )
    assert _outcome(_import(app, code, wide)) == (0, 0, 2)
    assert _stored(app) == before


def test_the_sync_api_and_a_wide_file_each_see_what_the_other_said(
    app: App, tmp_path: Path
) -> None:
    code = operator(app, "cn")
    wide = _wide(tmp_path / "wide.csv", {1: 101, 2: 102})
    _import(app, code, wide)

    before = _stored(app)
    balance = {"msisdn": _number(1), "paid_credit_minor": 101}
    assert _sync(app, code, "balances", balance).outcome == "unchanged"
    line = {k: str(v) for k, v in _wide_row(2, 102).items()}
    assert _sync(app, code, "wide", line).outcome == "unchanged"
    assert _stored(app) == before

    changed = _sync(app, code, "balances", {**balance, "paid_credit_minor": 900})
    assert (changed.outcome, changed.changed) == ("updated", ["paid_credit_minor"])
    renamed = _sync(app, code, "wide", {**line, "payment": "postpaid"})
    assert (renamed.outcome, renamed.changed) == ("updated", ["payment"])

    again = _import(app, code, wide)
    assert _outcome(again) == (0, 2, 0)  # each row the API changed is applied again
    assert _credit(app, 1) == 101
    with app.sessions() as session:
        payment = session.execute(
            select(models.Line.payment).where(models.Line.msisdn == _number(2))
        ).scalar_one()
        assert payment == "prepaid"
    assert _sync(app, code, "balances", balance).outcome == "unchanged"


def test_a_wide_row_is_applied_again_once_another_path_changed_its_subscriber(
    app: App, tmp_path: Path
) -> None:
    code = operator(app, "cn")
    wide = _wide(tmp_path / "wide.csv", {1: 101, 2: 102})
    _import(app, code, wide)
    people = tmp_path / "subscribers.csv"
    with people.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("subscriber_ref", "name", "id_number"))
        row = _wide_row(1, 101)
        writer.writerow((row["subscriber_ref"], "王伟", row["id_number"]))
    assert _outcome(_import(app, code, people)) == (0, 1, 0)

    again = _import(app, code, wide)
    assert _outcome(again) == (0, 1, 1)
    assert _updates(app, "subscribers") == [["name"], ["name"]]


def test_a_number_given_to_a_new_line_gets_the_facts_of_its_wide_row_afresh(
    app: App, tmp_path: Path
) -> None:
    code = operator(app, "cn")
    _import(app, code, _wide(tmp_path / "wide.csv", {1: 101}))
    with app.sessions.begin() as session:  # the line closed and its number aged
        old = session.execute(
            select(models.Line).where(models.Line.msisdn == _number(1))
        ).scalar_one()
        old.status = "closed"
        old.paid_credit_minor = 0
        number = session.get(models.Number, _number(1))
        assert number is not None
        number.state = "available"
    app.deps.hlr.purge(str(_wide_row(1, 101)["imsi"]), "test:purge")
    fresh = _wide(tmp_path / "wide-new.csv", {1: 101})
    with fresh.open(encoding="utf-8") as handle:
        text = handle.read().replace(str(_wide_row(1, 101)["iccid"]), iccid(800_101))
    fresh.write_text(text.replace("460000000000001", "460000000000101"), encoding="utf-8")

    assert _outcome(_import(app, code, fresh)) == (0, 1, 0)  # the number's line is new
    with app.sessions() as session:
        line = session.execute(
            select(models.Line).where(
                models.Line.msisdn == _number(1), models.Line.status == "active"
            )
        ).scalar_one()
        assert (line.paid_credit_minor, line.unbilled_usage_minor) == (101, 5)
        assert session.get(LineActivity, line.id) is not None
        record = session.execute(
            select(SourceRecord).where(SourceRecord.kind == "wide")
        ).scalar_one()
        assert record.entity_id == line.id
    assert _outcome(_import(app, code, fresh)) == (0, 0, 1)


def test_wide_records_are_split_by_a_downgrade_and_folded_again_by_the_upgrade(
    app: App, tmp_path: Path
) -> None:
    code = operator(app, "cn")
    wide = _wide(tmp_path / "wide.csv", {1: 101, 2: None, 3: 103})
    _import(app, code, wide)
    before = _stored(app)
    url = app.settings.database_url

    downgrade(url, "0013")
    with app.sessions() as session:
        kinds = dict(
            session.execute(
                select(SourceRecord.kind, func.count()).group_by(SourceRecord.kind)
            ).all()
        )
    assert kinds == {
        "subscribers": 3,
        "lines": 3,
        "balances": 2,
        "unbilled_usage": 3,
        "last_usage": 3,
        "rows:wide": 3,
    }
    upgrade(url)
    assert _stored(app) == before
    assert _outcome(_import(app, code, wide)) == (0, 0, 3)
    assert _stored(app) == before


def _owners(app: App) -> dict[str, str]:
    """By number, the reference of the subscriber that owns the line."""
    with app.sessions() as session:
        refs = dict(
            session.execute(
                select(SourceRecord.entity_id, SourceRecord.source_key).where(
                    SourceRecord.kind == "subscribers"
                )
            ).all()
        )
        lines = session.execute(select(models.Line.msisdn, models.Line.subscriber_id)).all()
    return {msisdn: refs[subscriber_id] for msisdn, subscriber_id in lines}


def test_lines_belong_to_the_subscribers_their_rows_name_new_unchanged_or_moved(
    app: App, tmp_path: Path
) -> None:
    cn = operator(app, "cn")
    rows = [_wide_row(n, 100) for n in (1, 2, 3)]
    path = tmp_path / "wide.csv"

    def write() -> Path:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        return path

    first = run_import(app, cn, [write()], tmp_path / "r.csv", batch_rows=2)
    assert (first.inserted, first.rejected) == (3, 0)
    assert _owners(app) == {_number(n): f"W{n:05d}" for n in (1, 2, 3)}
    # Row 1's line changes under an unchanged subscriber; row 2's line moves to a subscriber
    # that row 3 gives again, unchanged, in the same batch.
    rows[0]["imsi"] = "460009999999999"
    rows[1] = {
        **rows[1],
        "subscriber_ref": "W00003",
        "name": "李娜",
        "id_number": rows[2]["id_number"],
    }
    again = run_import(app, cn, [write()], tmp_path / "r.csv", batch_rows=3)
    assert (again.inserted, again.rejected) == (0, 0) and again.updated == 2
    assert _owners(app) == {_number(1): "W00001", _number(2): "W00003", _number(3): "W00003"}
