"""SIM serials are checked as python-stdnum's Luhn check does: the same accepted and refused."""

from __future__ import annotations

import random

from stdnum import luhn

from lineclose.domain.identifiers import InvalidIdentifier, normalize_iccid


def _stdnum(value: str) -> bool:
    digits = "".join(value.split())
    ok = digits.isdigit() and len(digits) in (19, 20) and digits.startswith("89")
    return ok and luhn.is_valid(digits)


def _ours(value: str) -> bool:
    try:
        normalize_iccid(value)
    except InvalidIdentifier:
        return False
    return True


def test_the_same_serials_are_accepted_and_refused_as_by_stdnum() -> None:
    rng = random.Random(7)
    accepted = 0
    for _ in range(20_000):
        body = "89" + "".join(rng.choice("0123456789") for _ in range(rng.choice((16, 17, 18))))
        value = body + (
            luhn.calc_check_digit(body) if rng.random() < 0.6 else rng.choice("0123456789")
        )
        if rng.random() < 0.05:
            value = value[:5] + " " + value[5:]
        if rng.random() < 0.03:
            value = value[:-1] + "\u0663"  # an Arabic-Indic digit: isdigit, not ASCII
        expected = _stdnum(value)
        assert _ours(value) == expected, value
        accepted += expected
    assert accepted > 5_000
