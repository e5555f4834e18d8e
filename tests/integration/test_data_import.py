"""Importing the sample files (examples/) on SQLite and PostgreSQL: counts, rejects with row and
field, an idempotent second run, changes applied and audited, personal data sealed."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import func, select, text
from stdnum import luhn

from lineclose.bootstrap import App
from lineclose.cli.import_files import run_import
from lineclose.db import models
from lineclose.db.audit import verify_chain
from tests.support.data_in import import_samples, operator, read_rejects, sample_files

# What examples/generate.py writes: 200 cn lines in per-kind CSV files, 100 uk lines in one
# wide CSV with JSON Lines beside it, and a handful of bad rows in each set.
CN_ROWS, CN_BAD = 1910, 10
UK_ROWS, UK_BAD = 543, 3


def test_sample_files_import_with_rejects_and_a_second_run_changes_nothing(
    app: App, tmp_path: Path
) -> None:
    cn = operator(app, "cn")
    uk = operator(app, "uk")
    first = import_samples(app, cn, "cn", tmp_path / "cn-rejects.csv")
    assert (first.rows, first.rejected, first.inserted) == (CN_ROWS, CN_BAD, CN_ROWS - CN_BAD)
    wide = import_samples(app, uk, "uk", tmp_path / "uk-rejects.csv")
    assert (wide.rows, wide.rejected, wide.inserted) == (UK_ROWS, UK_BAD, UK_ROWS - UK_BAD)

    with app.sessions() as session:
        lines = dict(
            session.execute(
                select(models.Line.currency, func.count()).group_by(models.Line.currency)
            ).all()
        )
        assert lines == {"CNY": 200, "GBP": 100}
        unpaid = session.execute(
            select(func.count()).select_from(models.Bill).where(models.Bill.paid_at.is_(None))
        ).scalar_one()
        assert unpaid == 40 + 20  # October unpaid on 2 lines in 10, both sets
        held = session.execute(
            select(func.count()).select_from(models.Line).where(models.Line.legal_hold)
        ).scalar_one()
        assert held == 10 + 5  # holds on 1 line in 10, one in two of them lifted
        urls = session.execute(
            select(func.count())
            .select_from(models.Binding)
            .where(models.Binding.notify_url.is_not(None))
        ).scalar_one()
        assert urls == 40 + 20

    rejects = {(r["file"], r["row"], r["field"]) for r in read_rejects(tmp_path / "cn-rejects.csv")}
    assert ("lines.csv", "203", "iccid") in rejects
    assert ("lines.csv", "204", "subscriber_ref") in rejects
    assert ("bills.csv", "402", "currency") in rejects
    assert ("subscribers.csv", "202", "id_number") in rejects
    assert {r["field"] for r in read_rejects(tmp_path / "uk-rejects.csv")} == {
        "payment",
        "imsi",
        "amount_minor",
    }

    with app.sessions() as session:
        audit_before = session.execute(
            select(func.count()).select_from(models.AuditEntry)
        ).scalar_one()
    again = import_samples(app, cn, "cn", tmp_path / "again.csv")
    assert (again.inserted, again.updated, again.unchanged, again.rejected) == (
        0,
        0,
        CN_ROWS - CN_BAD,
        CN_BAD,
    )
    with app.sessions() as session:
        audit_after = session.execute(
            select(func.count()).select_from(models.AuditEntry)
        ).scalar_one()
        assert audit_after == audit_before
        assert verify_chain(session).first_broken_id is None


def test_a_changed_file_applies_only_the_changes_and_audits_them(app: App, tmp_path: Path) -> None:
    cn = operator(app, "cn")
    needed = [p for p in sample_files("cn") if p.stem in ("subscribers", "lines", "balances")]
    import_samples(app, cn, "cn", tmp_path / "r1.csv", needed)
    original = next(p for p in needed if p.name == "balances.csv")
    with original.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[:200]
    for row in rows[:3]:
        row["paid_credit_minor"] = str(int(row["paid_credit_minor"]) + 100)
    changed = tmp_path / "balances.csv"
    with changed.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    summary = import_samples(app, cn, "cn", tmp_path / "r2.csv", [changed])
    assert (summary.updated, summary.unchanged, summary.inserted) == (3, 197, 0)
    with app.sessions() as session:
        entries = (
            session.execute(
                select(models.AuditEntry).where(models.AuditEntry.action == "data.updated")
            )
            .scalars()
            .all()
        )
        assert len(entries) == 3
        assert all(e.details["fields"] == ["paid_credit_minor"] for e in entries)
        assert all(e.entity == "balances" and "*" in e.entity_id for e in entries)
        credit = session.execute(
            select(models.Line.paid_credit_minor).where(models.Line.msisdn == rows[0]["msisdn"])
        ).scalar_one()
        assert credit == int(rows[0]["paid_credit_minor"])


def test_personal_data_from_files_is_not_stored_in_clear(app: App, tmp_path: Path) -> None:
    cn = operator(app, "cn")
    needed = [p for p in sample_files("cn") if p.stem in ("subscribers", "lines", "legal_holds")]
    import_samples(app, cn, "cn", tmp_path / "r.csv", needed)
    with next(p for p in sample_files("cn") if p.name == "subscribers.csv").open(
        encoding="utf-8"
    ) as h:
        people = list(csv.DictReader(h))[:5]
    with next(p for p in sample_files("cn") if p.name == "legal_holds.csv").open(
        encoding="utf-8"
    ) as h:
        askers = [r["requested_by"] for r in csv.DictReader(h)][:3]
    secrets = [p["id_number"] for p in people] + [p["email"] for p in people] + askers
    secrets += [p["name"] for p in people]
    url = app.settings.database_url
    if url.startswith("sqlite"):
        app.engine.dispose()
        blob = Path(url.removeprefix("sqlite:///")).read_bytes()
        for wal in Path(url.removeprefix("sqlite:///")).parent.glob("*-wal"):
            blob += wal.read_bytes()
        for secret in secrets:
            assert secret.encode() not in blob
        return
    with app.engine.connect() as connection:
        for table in ("subscribers", "legal_holds", "audit_log", "source_records"):
            dump = connection.execute(
                text(f"SELECT string_agg(t::text, '|') FROM {table} t")
            ).scalar_one()
            for secret in secrets:
                assert secret not in (dump or "")


def _wide_row(n: int, **given: str) -> dict[str, str]:
    body = f"898600{n:012d}"
    return {
        "msisdn": f"+86139{n:08d}",
        "iccid": body + luhn.calc_check_digit(body),
        "imsi": f"46000{n:010d}",
        "activated_on": "2023-05-01",
        "paid_credit_minor": "",
        "promo_credit_minor": "",
        "unbilled_usage_minor": "",
        **given,
    }


def _write_wide(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_new_lines_of_a_wide_file_carry_its_balances_and_usage(app: App, tmp_path: Path) -> None:
    cn = operator(app, "cn")
    rows = [
        _wide_row(1, paid_credit_minor="500", promo_credit_minor="20", unbilled_usage_minor="7"),
        _wide_row(2, paid_credit_minor="300"),
        _wide_row(3, unbilled_usage_minor="9"),
        _wide_row(4),
        _wide_row(2, paid_credit_minor="350", unbilled_usage_minor="4"),  # the last row wins
    ]
    first = run_import(app, cn, [_write_wide(tmp_path / "wide.csv", rows)], tmp_path / "r.csv")
    assert first.rejected == 0
    with app.sessions() as session:
        found = {
            m: (paid, promo, usage)
            for m, paid, promo, usage in session.execute(
                select(
                    models.Line.msisdn,
                    models.Line.paid_credit_minor,
                    models.Line.promo_credit_minor,
                    models.Line.unbilled_usage_minor,
                )
            ).all()
        }
    assert found == {
        "+8613900000001": (500, 20, 7),
        "+8613900000002": (350, 0, 4),
        "+8613900000003": (0, 0, 9),
        "+8613900000004": (0, 0, 0),
    }
    rows[0]["paid_credit_minor"] = "510"
    again = run_import(app, cn, [_write_wide(tmp_path / "wide.csv", rows)], tmp_path / "r.csv")
    assert (again.inserted, again.rejected) == (0, 0) and again.updated >= 1
    with app.sessions() as session:
        paid = session.execute(
            select(models.Line.paid_credit_minor).where(models.Line.msisdn == "+8613900000001")
        ).scalar_one()
    assert paid == 510


def test_validated_in_another_process_the_samples_import_the_same(app: App, tmp_path: Path) -> None:
    """Batches small enough that the file spans many, validated by a second process: the
    same counts, rejects and rows as validated here, and a second run changes nothing."""
    cn = operator(app, "cn")
    rejects = tmp_path / "cn-rejects.csv"
    first = run_import(app, cn, sample_files("cn"), rejects, batch_rows=150, workers=1)
    assert (first.rows, first.rejected, first.inserted) == (CN_ROWS, CN_BAD, CN_ROWS - CN_BAD)
    found = {(r["file"], r["row"], r["field"]) for r in read_rejects(rejects)}
    assert {("lines.csv", "203", "iccid"), ("subscribers.csv", "202", "id_number")} <= found
    assert len(found) == CN_BAD
    with app.sessions() as session:
        lines = session.execute(select(func.count()).select_from(models.Line)).scalar_one()
        unpaid = session.execute(
            select(func.count()).select_from(models.Bill).where(models.Bill.paid_at.is_(None))
        ).scalar_one()
    assert (lines, unpaid) == (200, 40)
    again = run_import(app, cn, sample_files("cn"), rejects, batch_rows=150, workers=1)
    assert (again.inserted, again.updated, again.rejected) == (0, 0, CN_BAD)
