"""Small factories for test data: keyword defaults, a test overrides only what it is about."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.services.context import Deps
from lineclose.services.provisioning import LineSpec, add_line, add_operator
from lineclose.services.seed import cn_id_number, iccid

_serial = itertools.count(1)

HOLDER_ID = cn_id_number("110105", date(1990, 3, 7), 123)
SERVICE_PASSWORD = "s3cret-pass"


def make_operator(
    session: Session, deps: Deps, profile: str = "cn", **extra: Any
) -> models.Operator:
    code = extra.pop("code", f"op-{profile}-{next(_serial)}")
    return add_operator(
        session, deps, code, extra.pop("name", f"Test {profile.upper()}"), profile, **extra
    )


def make_line(
    session: Session, deps: Deps, operator: models.Operator, **overrides: Any
) -> models.Line:
    n = next(_serial)
    formats = {
        "cn": "+86139{:08d}",
        "uk": "+447911{:06d}",
        "us": "+1202555{:04d}",
        "ph": "+63917{:07d}",
        "eu": "+32470{:06d}",
    }
    msisdn = overrides.pop("msisdn", formats[operator.profile].format(n))
    defaults: dict[str, Any] = {
        "msisdn": msisdn,
        "iccid": iccid(10_000 + n),
        "imsi": f"46001{n:010d}",
        "holder_name": "王芳",
        "id_number": HOLDER_ID if operator.profile == "cn" else "AB123456C",
        "service_password": SERVICE_PASSWORD,
        "paid_credit_minor": 0,
    }
    defaults.update(overrides)
    line = add_line(session, deps, operator, LineSpec(**defaults))
    deps.hlr.create_subscriber(line.imsi, line.msisdn)  # type: ignore[attr-defined]
    return line
