"""Every kind of bad value a file row can carry is refused once, naming its field and saying
what to fix, without repeating the value."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from lineclose.domain.profiles import profile_for
from lineclose.services.data_in.fields import Context, RowError, parse_row
from lineclose.services.data_in.files import WIDE, parse
from lineclose.services.seed import cn_id_number, iccid

CN = Context(profile_for("cn"), date(2026, 11, 25))
ID_NUMBER = cn_id_number("110105", date(1990, 3, 7), 123)
LINE: dict[str, Any] = {
    "msisdn": "+8613901000001",
    "iccid": iccid(500_001),
    "imsi": "460000000500001",
    "subscriber_ref": "C1",
    "activated_on": "2024-01-01",
}


def test_a_good_line_row_is_normalized() -> None:
    record = parse_row("lines", {**LINE, "msisdn": "139 0100 0001"}, CN)
    assert record["msisdn"] == "+8613901000001"
    assert record["payment"] == "prepaid" and record["billing_day"] == 1


@pytest.mark.parametrize(
    ("kind", "row", "field", "says"),
    [
        ("lines", {**LINE, "msisdn": "+86139"}, "msisdn", "not a valid phone number"),
        ("lines", {**LINE, "iccid": iccid(500_001)[:-1] + "0"}, "iccid", "check digit"),
        ("lines", {**LINE, "imsi": "4600"}, "imsi", "14 or 15 digits"),
        ("lines", {**LINE, "activated_on": "01/02/2024"}, "activated_on", "YYYY-MM-DD"),
        ("lines", {**LINE, "activated_on": "2027-01-01"}, "activated_on", "not be after today"),
        ("lines", {**LINE, "payment": "monthly"}, "payment", "prepaid, postpaid"),
        ("lines", {**LINE, "billing_day": "31"}, "billing_day", "1 to 28"),
        ("lines", {**LINE, "monthly_fee_minor": "12.50"}, "monthly_fee_minor", "whole number"),
        ("lines", {**LINE, "monthly_fee_minor": "-5"}, "monthly_fee_minor", "whole number"),
        ("lines", {k: v for k, v in LINE.items() if k != "iccid"}, "iccid", "required"),
        (
            "subscribers",
            {"subscriber_ref": "C1", "id_number": ID_NUMBER[:-1] + "0"},
            "id_number",
            "resident ID",
        ),
        ("subscribers", {"subscriber_ref": "C1", "email": "nobody"}, "email", "e-mail address"),
        ("subscribers", {"subscriber_ref": "x" * 65}, "subscriber_ref", "1 to 64"),
        (
            "bills",
            {
                "bill_id": "B1",
                "msisdn": LINE["msisdn"],
                "period_start": "2026-10-01",
                "period_end": "2026-10-31",
                "amount_minor": "100",
                "currency": "EUR",
                "due_on": "2026-11-10",
            },
            "currency",
            "CNY",
        ),
        (
            "bills",
            {
                "bill_id": "B1",
                "msisdn": LINE["msisdn"],
                "period_start": "2026-10-31",
                "period_end": "2026-10-01",
                "amount_minor": "100",
                "currency": "CNY",
                "due_on": "2026-11-10",
            },
            "period_end",
            "not be before",
        ),
        (
            "bindings",
            {
                "msisdn": LINE["msisdn"],
                "service": "Pay",
                "category": "payment",
                "bound_on": "2025-01-01",
                "notify_url": "ftp://x",
            },
            "notify_url",
            "http(s) URL",
        ),
        (
            "contracts",
            {"msisdn": LINE["msisdn"], "commitment_end": "2027-01-01", "etf_rule": "sometimes"},
            "etf_rule",
            "one of",
        ),
        (
            "legal_holds",
            {"msisdn": LINE["msisdn"], "reason": "", "placed_on": "2026-01-01"},
            "reason",
            "required",
        ),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(
    kind: str, row: dict[str, Any], field: str, says: str
) -> None:
    with pytest.raises(RowError) as refused:
        parse_row(kind, row, CN)
    assert refused.value.field == field
    assert says in refused.value.message
    assert refused.value.message.startswith(field)


def test_a_wide_row_is_refused_whole_when_one_part_is_bad() -> None:
    with pytest.raises(RowError) as refused:
        parse(WIDE, 7, {**LINE, "paid_credit_minor": "ten", "id_number": ID_NUMBER}, CN)
    assert refused.value.field == "paid_credit_minor"
    items = parse(WIDE, 7, {**LINE, "paid_credit_minor": "10", "commitment_end": ""}, CN)
    assert [i.kind for i in items] == ["subscribers", "lines", "balances"]
    assert all(i.row == 7 for i in items)


def test_the_value_itself_is_never_repeated_in_the_message() -> None:
    with pytest.raises(RowError) as refused:
        parse_row("subscribers", {"subscriber_ref": "C1", "id_number": "11010519900307999X"}, CN)
    assert "11010519900307999X" not in refused.value.message
