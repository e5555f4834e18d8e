"""Deterministic demo data that shows every path a closure can take."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum import luhn
from stdnum.cn import ric

from lineclose.db import models
from lineclose.domain.facts import LineStatus
from lineclose.services.context import Actor, Channel, Deps, Role
from lineclose.services.demo_channels import seed_demo_channels
from lineclose.services.payouts.accounts import set_payout_account
from lineclose.services.provisioning import LineSpec, add_line, add_operator, add_subscriber


def iccid(serial: int, issuer: str = "898600") -> str:
    body = f"{issuer}{serial:012d}"
    return body + luhn.calc_check_digit(body)


def cn_id_number(region: str, born: date, sequence: int) -> str:
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    # calc_check_digit expects the full 18 characters, its last one a placeholder.
    return body + ric.calc_check_digit(body + "0")


@dataclass(frozen=True)
class DemoLine:
    """A demo number, what it shows, and the test credentials its holder would give staff."""

    msisdn: str
    story: str
    service_password: str | None = None
    id_number: str | None = None

    @property
    def clean(self) -> bool:
        return self.story.startswith("clean")


SEED_ACTOR = Actor(Role.ADMIN, "seed", Channel.SYSTEM)


def seed_demo(session: Session, deps: Deps) -> list[DemoLine]:
    today = deps.clock.now().date()
    cn = add_operator(
        session,
        deps,
        "demo-cn",
        "Demo Mobile China",
        "cn",
        auto_approval={"enabled": True, "identity_methods": ["otp"], "max_refund_minor": 10_000},
    )
    uk = add_operator(session, deps, "demo-uk", "Demo Mobile UK", "uk")
    # The account the bank pays UK refunds from (pain.001); cn refunds go out as CSV.
    set_payout_account(
        session,
        deps,
        SEED_ACTOR,
        "demo-uk",
        "GBP",
        "Demo Mobile UK Ltd",
        "GB29NWBK60161331926819",
        "NWBKGB2L",
    )
    stories: list[DemoLine] = []

    def cn_line(n: int, story: str, **extra: object) -> None:
        spec = LineSpec(
            msisdn=f"+86138001380{n:02d}",
            iccid=iccid(n),
            imsi=f"46000{n:010d}",
            holder_name=str(extra.pop("holder_name", "张伟")),
            id_number=cn_id_number("110105", date(1985, 3, n % 28 + 1), 100 + n),
            service_password="246810",
            **extra,  # type: ignore[arg-type]
        )
        add_line(session, deps, cn, spec)
        stories.append(DemoLine(spec.msisdn, story, spec.service_password, spec.id_number))

    cn_line(
        1,
        "clean prepaid line: closes in seconds when signed in by code",
        paid_credit_minor=5_000,
        promo_credit_minor=1_000,
    )
    cn_line(
        2,
        "postpaid line with an unpaid bill",
        payment="postpaid",
        monthly_fee_minor=5_800,
        unpaid_bills=[(8_800, today - timedelta(days=10))],
        paid_credit_minor=1_200,
    )
    cn_line(
        3,
        "postpaid line in contract until the end of next year",
        payment="postpaid",
        monthly_fee_minor=12_800,
        billing_day=15,
        contract={
            "commitment_end": date(today.year + 1, 12, 31),
            "etf_rule": "remaining_months",
            "etf_monthly_minor": 3_000,
            "processing_fee_minor": 5_000,
        },
    )
    cn_line(
        4,
        "prepaid line with bound payment and bank apps",
        paid_credit_minor=2_350,
        bindings=[
            {
                "service": "Alipay",
                "category": "payment",
                "notify_on_closure": True,
                "notify_email": "number-change@alipay.example",
            },
            {"service": "WeChat Pay", "category": "payment"},
            {"service": "ICBC Mobile Banking", "category": "bank"},
        ],
    )
    cn_line(
        5,
        "line reported lost: store visit with ID document needed",
        lost_reported=True,
        paid_credit_minor=900,
        holder_name="李娜",
    )
    cn_line(6, "line frozen by a legal hold", legal_hold=True)
    # Clean lines to try each identity path on (code, service password, ID number) in turn.
    cn_line(
        7,
        "clean prepaid line with credit to refund",
        paid_credit_minor=3_200,
        holder_name="王芳",
    )
    cn_line(
        8,
        "clean postpaid line, bills paid, no contract",
        payment="postpaid",
        monthly_fee_minor=3_800,
        holder_name="刘洋",
    )

    fleet_owner = LineSpec(
        msisdn="+8614700000000",
        iccid=iccid(900),
        imsi="460040000000900",
        holder_name="ACME 物联网有限公司",
        subscriber_kind="business",
    )
    owner = add_subscriber(session, deps, cn, fleet_owner)
    for n in range(1, 11):
        spec = LineSpec(
            msisdn=f"+86147{n:08d}",
            iccid=iccid(1000 + n),
            imsi=f"46004{1000 + n:010d}",
            kind="data-only",
            payment="postpaid",
            monthly_fee_minor=500,
            fleet_account="ACME-IOT",
        )
        add_line(session, deps, cn, spec, subscriber=owner)
    stories.append(DemoLine("+8614700000001", "enterprise fleet of 10 data cards (ACME-IOT)"))

    uk_specs = [
        (
            LineSpec(
                msisdn="+447911123456",
                iccid=iccid(2001, "894410"),
                imsi="234150000002001",
                payment="postpaid",
                monthly_fee_minor=1_500,
                paid_credit_minor=0,
                unbilled_usage_minor=230,
                holder_name="Alex Smith",
                id_number="AB123456C",
                service_password="alex-pass",
            ),
            "UK postpaid line, reviewed by staff",
        ),
        (
            LineSpec(
                msisdn="+447911123457",
                iccid=iccid(2002, "894410"),
                imsi="234150000002002",
                paid_credit_minor=1_275,
                holder_name="Sam Jones",
                id_number="CD654321A",
            ),
            "UK pay-as-you-go line with credit to refund",
        ),
    ]
    for spec, story in uk_specs:
        add_line(session, deps, uk, spec)
        stories.append(DemoLine(spec.msisdn, story, spec.service_password, spec.id_number))
    seed_demo_channels(session, deps)
    return stories


def register_lines_in_hlr(session: Session, deps: Deps) -> int:
    """Create an HLR record for every active line the HLR does not know yet (demo and first sync)."""
    create = getattr(deps.hlr, "create_subscriber", None)
    if create is None:
        return 0
    count = 0
    lines = session.execute(
        select(models.Line.imsi, models.Line.msisdn).where(models.Line.status == LineStatus.ACTIVE)
    ).all()
    # The HLR may live in this same database: release the read before calling it.
    session.rollback()
    for imsi, msisdn in lines:
        if deps.hlr.lookup(imsi) is None:
            create(imsi, msisdn)
            count += 1
    return count
