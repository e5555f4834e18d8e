"""Write the sample files of "Bring your own subscribers" (README): a few hundred lines over the
cn and uk profiles, every blocker a file can cause, and some deliberately bad rows.

    python examples/generate.py            # rewrites examples/cn/ and examples/uk/

cn comes as one CSV file per kind; uk as one wide CSV (a row per line) plus JSON Lines for
the facts that come many to a line (bills, payments, bindings) and for holds and lost reports.
The output is deterministic: the same files every run.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import phonenumbers
from stdnum import luhn
from stdnum.cn import ric

HERE = Path(__file__).resolve().parent
CN_LINES = 200
UK_LINES = 100
# Dates sit before late November 2026, so none is "in the future" when the files are read.
AS_OF = date(2026, 11, 20)

CN_SURNAMES = "王李张刘陈杨黄赵吴周"
CN_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军"]
UK_FIRST = ["Alex", "Sam", "Jo", "Chris", "Pat", "Robin", "Kim", "Lee", "Morgan", "Taylor"]
UK_LAST = ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Roberts"]


def iccid(serial: int, issuer: str) -> str:
    body = f"{issuer}{serial:012d}"
    return body + luhn.calc_check_digit(body)


def cn_id(n: int) -> str:
    body = f"110105{date(1970, 1, 1) + timedelta(days=97 * n):%Y%m%d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def valid(number: str) -> str:
    assert phonenumbers.is_valid_number(phonenumbers.parse(number)), number
    return number


def cn_msisdn(n: int) -> str:
    return valid(f"+8613901{n:06d}")


def uk_msisdn(n: int) -> str:
    return valid(f"+4479112{n:05d}")


def story(n: int) -> str:
    """Which blocker line n shows: one line in ten each, the rest close cleanly."""
    return {
        1: "arrears",
        2: "commitment",
        3: "bindings",
        4: "legal_hold",
        5: "lost",
        6: "arrears+bindings",
    }.get(n % 10, "clean")


def write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def facts_for(
    n: int, msisdn: str, currency: str, prefix: str, rng: random.Random
) -> dict[str, list[dict[str, Any]]]:
    """Bills, payments, contracts, bindings, holds and lost reports of one line, by its story."""
    out: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("bills", "payments", "contracts", "bindings", "legal_holds", "lost_reports")
    }
    kind = story(n)
    fee = 3_000 + 500 * (n % 7)
    for month in (9, 10):
        bill_id = f"{prefix}-B{n:05d}-{month:02d}"
        start = date(2026, month, 1)
        unpaid = "arrears" in kind and month == 10
        out["bills"].append(
            {
                "bill_id": bill_id,
                "msisdn": msisdn,
                "period_start": start.isoformat(),
                "period_end": (date(2026, month + 1, 1) - timedelta(days=1)).isoformat(),
                "amount_minor": fee,
                "currency": currency,
                "due_on": date(2026, month + 1, 10).isoformat(),
                "paid_on": "" if unpaid else date(2026, month + 1, 5).isoformat(),
            }
        )
        if not unpaid:
            out["payments"].append(
                {
                    "reference": f"{prefix}-P{n:05d}-{month:02d}",
                    "msisdn": msisdn,
                    "bill_id": bill_id,
                    "amount_minor": fee,
                    "currency": currency,
                    "paid_on": date(2026, month + 1, 5).isoformat(),
                }
            )
    if kind == "commitment":
        out["contracts"].append(
            {
                "msisdn": msisdn,
                "commitment_end": date(2027, 1 + n % 12, 28).isoformat(),
                "etf_rule": "remaining_months" if n % 20 == 2 else "fixed",
                "etf_fixed_minor": 10_000,
                "etf_monthly_minor": 2_000,
                "processing_fee_minor": 1_000,
            }
        )
    if "bindings" in kind:
        out["bindings"].append(
            {
                "msisdn": msisdn,
                "service": "PayApp",
                "category": "payment",
                "notify_email": "numbers@payapp.example",
                "bound_on": "2024-03-01",
            }
        )
        out["bindings"].append(
            {
                "msisdn": msisdn,
                "service": "Bank of Example",
                "category": "bank",
                "notify_url": "https://hooks.bank.example/number-closed",
                "bound_on": "2024-05-01",
            }
        )
    if kind == "legal_hold":
        out["legal_holds"].append(
            {
                "msisdn": msisdn,
                "reason": "court order freezing the account",
                "requested_by": f"Court clerk {rng.randint(100, 999)}",
                "placed_on": "2026-10-15",
                "lifted_on": "2026-11-01" if n % 20 == 14 else "",
            }
        )
    if kind == "lost":
        out["lost_reports"].append(
            {
                "msisdn": msisdn,
                "reported_on": "2026-11-02",
                "found_on": "2026-11-04" if n % 20 == 15 else "",
            }
        )
    return out


def generate_cn(folder: Path, rng: random.Random) -> None:
    subscribers, lines, balances, usage, last_usage = [], [], [], [], []
    facts: dict[str, list[dict[str, Any]]] = {}
    for n in range(1, CN_LINES + 1):
        msisdn = cn_msisdn(n)
        ref = f"CN-C{n:05d}"
        subscribers.append(
            {
                "subscriber_ref": ref,
                "subscriber_kind": "personal",
                "name": rng.choice(CN_SURNAMES) + rng.choice(CN_GIVEN),
                "id_number": cn_id(n),
                "email": f"user{n}@mail.example.cn",
            }
        )
        postpaid = story(n) != "clean" or n % 3 == 0
        lines.append(
            {
                "msisdn": msisdn,
                "iccid": iccid(500_000 + n, "898600"),
                "imsi": f"46000{500_000 + n:010d}",
                "subscriber_ref": ref,
                "line_kind": "sim" if n % 9 else "esim",
                "payment": "postpaid" if postpaid else "prepaid",
                "monthly_fee_minor": 3_000 + 500 * (n % 7),
                "billing_day": 1 + n % 28,
                "activated_on": (date(2021, 1, 1) + timedelta(days=5 * n)).isoformat(),
            }
        )
        balances.append(
            {
                "msisdn": msisdn,
                "paid_credit_minor": rng.randint(0, 9_000),
                "promo_credit_minor": rng.choice([0, 0, 500]),
            }
        )
        usage.append({"msisdn": msisdn, "unbilled_usage_minor": rng.randint(0, 800)})
        last_usage.append(
            {"msisdn": msisdn, "last_usage_on": (AS_OF - timedelta(days=n % 40)).isoformat()}
        )
        for kind, rows in facts_for(n, msisdn, "CNY", "CN", rng).items():
            facts.setdefault(kind, []).extend(rows)
    # Deliberately bad rows: each shows one kind of mistake and lands in the rejects file.
    subscribers.append(
        {"subscriber_ref": "CN-BAD-ID", "name": "赵六", "id_number": "110105199001011230"}
    )
    subscribers.append({"subscriber_ref": "CN-BAD-MAIL", "name": "钱七", "email": "not-an-address"})
    lines.append(
        {
            **lines[0],
            "msisdn": "+86139",
            "iccid": iccid(600_001, "898600"),
            "imsi": "460000000600001",
        }
    )
    lines.append(
        {
            **lines[1],
            "msisdn": cn_msisdn(901),
            "iccid": iccid(600_002, "898600")[:-1] + "0",
            "imsi": "460000000600002",
        }
    )
    lines.append(
        {
            **lines[2],
            "msisdn": cn_msisdn(902),
            "iccid": iccid(600_003, "898600"),
            "imsi": "460000000600003",
            "subscriber_ref": "CN-NOBODY",
        }
    )
    lines.append(
        {
            **lines[3],
            "msisdn": cn_msisdn(903),
            "iccid": iccid(600_004, "898600"),
            "imsi": "460000000600004",
            "activated_on": "2024-02-30",
        }
    )
    balances.append({"msisdn": cn_msisdn(1), "paid_credit_minor": "12.50"})
    facts["bills"].append({**facts["bills"][0], "bill_id": "CN-BAD-CUR", "currency": "USD"})
    facts["bills"].append({**facts["bills"][0], "bill_id": "CN-NO-LINE", "msisdn": cn_msisdn(999)})
    facts["bindings"].append({**facts["bindings"][0], "service": "Odd", "category": "gaming"})
    columns = {
        "subscribers": ["subscriber_ref", "subscriber_kind", "name", "id_number", "email"],
        "lines": list(lines[0]),
        "balances": ["msisdn", "paid_credit_minor", "promo_credit_minor"],
        "unbilled_usage": ["msisdn", "unbilled_usage_minor"],
        "last_usage": ["msisdn", "last_usage_on"],
    }
    write_csv(folder / "subscribers.csv", columns["subscribers"], subscribers)
    write_csv(folder / "lines.csv", columns["lines"], lines)
    write_csv(folder / "balances.csv", columns["balances"], balances)
    write_csv(folder / "unbilled_usage.csv", columns["unbilled_usage"], usage)
    write_csv(folder / "last_usage.csv", columns["last_usage"], last_usage)
    for kind, rows in facts.items():
        fieldnames = list(dict.fromkeys(k for row in rows for k in row))
        write_csv(folder / f"{kind}.csv", fieldnames, rows)


def generate_uk(folder: Path, rng: random.Random) -> None:
    wide: list[dict[str, Any]] = []
    facts: dict[str, list[dict[str, Any]]] = {}
    for n in range(1, UK_LINES + 1):
        msisdn = uk_msisdn(n)
        postpaid = story(n) != "clean" or n % 2 == 0
        row: dict[str, Any] = {
            "msisdn": msisdn,
            "iccid": iccid(700_000 + n, "894410"),
            "imsi": f"23415{700_000 + n:010d}",
            "subscriber_ref": f"UK-C{n:05d}",
            "name": f"{rng.choice(UK_FIRST)} {rng.choice(UK_LAST)}",
            "id_number": f"QQ{100000 + n:06d}C",
            "email": f"customer{n}@mail.example.co.uk",
            "line_kind": "sim",
            "payment": "postpaid" if postpaid else "prepaid",
            "monthly_fee_minor": 1_000 + 250 * (n % 5),
            "billing_day": 1 + n % 28,
            "activated_on": (date(2022, 6, 1) + timedelta(days=7 * n)).isoformat(),
            "paid_credit_minor": rng.randint(0, 3_000),
            "promo_credit_minor": 0,
            "unbilled_usage_minor": rng.randint(0, 400),
            "last_usage_on": (AS_OF - timedelta(days=n % 30)).isoformat(),
        }
        for kind, rows in facts_for(n, msisdn, "GBP", "UK", rng).items():
            if kind == "contracts" and rows:
                row.update({k: v for k, v in rows[0].items() if k != "msisdn"})
            else:
                facts.setdefault(kind, []).extend(rows)
        wide.append(row)
    wide.append(
        {
            **wide[0],
            "msisdn": uk_msisdn(901),
            "iccid": iccid(790_001, "894410"),
            "imsi": "234150000790001",
            "payment": "monthly",
        }
    )
    wide.append(
        {**wide[1], "msisdn": uk_msisdn(902), "iccid": iccid(790_002, "894410"), "imsi": "23415"}
    )
    facts["payments"].append(
        {**facts["payments"][0], "reference": "UK-BAD-AMOUNT", "amount_minor": -5}
    )
    columns = list(dict.fromkeys(k for row in wide for k in row))
    write_csv(folder / "wide.csv", columns, wide)
    for kind, rows in facts.items():
        if rows:
            write_jsonl(
                folder / f"{kind}.jsonl", [{k: v for k, v in r.items() if v != ""} for r in rows]
            )


def main() -> None:
    rng = random.Random(20261130)
    for name, generate in (("cn", generate_cn), ("uk", generate_uk)):
        folder = HERE / name
        folder.mkdir(exist_ok=True)
        for old in folder.glob("*"):
            old.unlink()
        generate(folder, rng)
    print(f"wrote {sorted(str(p.relative_to(HERE)) for p in HERE.glob('*/*'))}")


if __name__ == "__main__":
    main()
