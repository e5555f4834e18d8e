"""A file imported again skips its unchanged rows before validating them, and still re-applies
any row whose records changed since (through another file or the sync API), with the same
outcome as the full path; the bulk writes store what the ORM reads back."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from lineclose.bootstrap import App
from lineclose.cli.import_files import run_import
from lineclose.db import models
from lineclose.db.audit import verify_chain
from lineclose.services.data_in import files
from lineclose.services.data_in.fields import Context
from lineclose.services.data_in.unchanged_rows import RawRow
from lineclose.services.seed import cn_id_number, iccid
from tests.support.data_in import WIDE_COLUMNS, operator

COLUMNS = WIDE_COLUMNS


def _wide(path: Path, count: int, credit: int = 100) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for n in range(1, count + 1):
            writer.writerow(
                (
                    f"+86139{n:08d}",
                    iccid(700_000 + n),
                    f"46000{n:010d}",
                    f"C{n:05d}",
                    "王芳",
                    cn_id_number("110105", date(1980, 1, 1 + n % 28), n),
                    "postpaid",
                    "2023-05-01",
                    credit + n,
                    n % 7,
                    "2026-11-01",
                )
            )
    return path


def _balances(path: Path, changes: dict[int, int]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("msisdn", "paid_credit_minor"))
        writer.writerows((f"+86139{n:08d}", credit) for n, credit in changes.items())
    return path


def _parsed_rows(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    counted: list[int] = []
    real = files.parse_chunk

    def counting(file: str, kind: str, rows: list[RawRow], ctx: Context) -> files.Batch:
        counted.append(len(rows))
        return real(file, kind, rows, ctx)

    monkeypatch.setattr(files, "parse_chunk", counting)
    return counted


def test_unchanged_rows_are_skipped_before_validation_and_changed_ones_applied(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = operator(app, "cn")
    wide = _wide(tmp_path / "wide.csv", 30)
    first = run_import(app, code, [wide], tmp_path / "r1.csv", batch_rows=7)
    assert (first.inserted, first.rejected) == (30, 0)
    with app.sessions() as session:
        line = session.execute(
            select(models.Line).where(models.Line.msisdn == "+8613900000003")
        ).scalar_one()
        assert (line.paid_credit_minor, line.unbilled_usage_minor) == (103, 3)
        assert line.activated_on == date(2023, 5, 1)
        subscriber = session.get(models.Subscriber, line.subscriber_id)
        assert subscriber is not None and subscriber.id_number_enc
        assert app.deps.vault.decrypt(subscriber.id_number_enc) == cn_id_number(
            "110105", date(1980, 1, 4), 3
        )

    parsed = _parsed_rows(monkeypatch)
    again = run_import(app, code, [wide], tmp_path / "r2.csv", batch_rows=7)
    assert (again.inserted, again.updated, again.unchanged, again.rejected) == (0, 0, 30, 0)
    assert sum(parsed) == 0  # nothing validated

    # Another file changes two balances: the wide file's rows for them are applied again.
    run_import(app, code, [_balances(tmp_path / "balances.csv", {3: 9, 4: 9})], tmp_path / "r3.csv")
    parsed.clear()
    restored = run_import(app, code, [wide], tmp_path / "r4.csv", batch_rows=7)
    assert (restored.updated, restored.unchanged) == (2, 28)
    assert sum(parsed) == 2
    with app.sessions() as session:
        credit = session.execute(
            select(models.Line.paid_credit_minor).where(models.Line.msisdn == "+8613900000003")
        ).scalar_one()
        assert credit == 103
        assert verify_chain(session).first_broken_id is None

    # A changed row in the file is validated and applied; the others are still skipped.
    parsed.clear()
    changed = run_import(app, code, [_wide(wide, 30, credit=200)], tmp_path / "r5.csv")
    assert (changed.updated, changed.unchanged) == (30, 0)
    assert sum(parsed) == 30
