"""The monthly disconnection file of the US Reassigned Numbers Database (RULES.md, us).

Rules: due by the 15th of each month, it covers permanent disconnections at least through the
10th: the file due on M-15 holds those from the 11th of the month before through the 10th of
M, so one on the 11th lands in the next month's file. Each number appears once, with its most
recent permanent-disconnection date in the period. A month without any is reported explicitly
("no disconnects"). Records are never removed: the disconnections table is append-only and a
file can be produced again for any past due date. Port-outs and suspensions for non-payment are
not permanent disconnections and never enter the table.

The RND file: a header `TN,DISCONNECT_DATE`, then the 10-digit NANP number and the date as
YYYY-MM-DD; an empty period is the single line `NO DISCONNECTS`. The plain CSV for other
regulators: `msisdn,disconnected_on,operator` with E.164 numbers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.errors import Forbidden, InvalidInput, NotFound
from lineclose.services.context import Actor

DUE_DAY = 15
COVERED_THROUGH_DAY = 10


@dataclass(frozen=True)
class DisconnectionReport:
    operator: str
    due: date
    period_start: date
    period_end: date
    rows: tuple[tuple[str, date], ...]  # (E.164 number, latest disconnection date)


def period_for(due: date) -> tuple[date, date]:
    if due.day != DUE_DAY:
        raise InvalidInput(
            "--due must be the 15th of a month (YYYY-MM-15)", code="invalid_due", field="due"
        )
    end = due.replace(day=COVERED_THROUGH_DAY)
    previous_month_end = due.replace(day=1) - timedelta(days=1)
    start = previous_month_end.replace(day=COVERED_THROUGH_DAY + 1)
    return start, end


def disconnection_report(
    session: Session, actor: Actor, operator_code: str, due: date
) -> DisconnectionReport:
    if not actor.is_staff:
        raise Forbidden("staff only", code="staff_only")
    start, end = period_for(due)
    operator = session.execute(
        select(models.Operator).where(models.Operator.code == operator_code)
    ).scalar_one_or_none()
    if operator is None or (actor.operator_id is not None and actor.operator_id != operator.id):
        raise NotFound(f"no operator {operator_code}", code="unknown_operator")
    latest = func.max(models.Disconnection.disconnected_on)
    rows = session.execute(
        select(models.Disconnection.msisdn, latest)
        .join(models.Number, models.Number.msisdn == models.Disconnection.msisdn)
        .where(
            models.Number.operator_id == operator.id,
            models.Disconnection.disconnected_on >= start,
            models.Disconnection.disconnected_on <= end,
        )
        .group_by(models.Disconnection.msisdn)
        .order_by(models.Disconnection.msisdn)
    ).all()
    return DisconnectionReport(
        operator.code, due, start, end, tuple((msisdn, day) for msisdn, day in rows)
    )


def _nanp(msisdn: str) -> str:
    digits = msisdn.lstrip("+")
    return digits[1:] if digits.startswith("1") and len(digits) == 11 else digits


def render_rnd(report: DisconnectionReport) -> str:
    if not report.rows:
        return "NO DISCONNECTS\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["TN", "DISCONNECT_DATE"])
    writer.writerows((_nanp(msisdn), day.isoformat()) for msisdn, day in report.rows)
    return out.getvalue()


def render_plain(report: DisconnectionReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["msisdn", "disconnected_on", "operator"])
    writer.writerows((msisdn, day.isoformat(), report.operator) for msisdn, day in report.rows)
    return out.getvalue()
