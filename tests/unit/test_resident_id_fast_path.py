"""Resident IDs are checked as python-stdnum checks them: the same values accepted, with the
same birth date, and the same refused, whatever the region, year, day or check digit."""

from __future__ import annotations

import random
from datetime import date

import pytest
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from lineclose.domain.identifiers import InvalidIdentifier, normalize_id_number

TODAY = date(2026, 11, 30)


def _stdnum(value: str) -> tuple[str, date] | None:
    try:
        checked = ric.validate(value)
    except ValidationError:
        return None
    born = ric.get_birth_date(checked)
    return None if born > TODAY else (checked, born)


def _ours(value: str) -> tuple[str, date] | None:
    try:
        found = normalize_id_number(value, "cn_ric", TODAY)
    except InvalidIdentifier:
        return None
    return found.value, ric.get_birth_date(found.value)


@pytest.mark.parametrize("seed", range(4))
def test_the_same_ids_are_accepted_and_refused_as_by_stdnum(seed: int) -> None:
    rng = random.Random(seed)
    regions = ["110105", "440305", "310101", "999999", "110100", "510104", "000000", "420111"]
    accepted = 0
    for _ in range(3_000):
        body = (
            f"{rng.choice(regions)}{rng.randint(1890, 2030):04d}"
            f"{rng.randint(0, 13):02d}{rng.randint(0, 32):02d}{rng.randint(0, 999):03d}"
        )
        check = ric.calc_check_digit(body + "0") if rng.random() < 0.8 else rng.choice("0X9")
        value = body + check
        if rng.random() < 0.05:
            value = value[:-2]
        if rng.random() < 0.05:
            value = value.lower()
        if rng.random() < 0.03:
            value = "\uff11" + value[1:]  # a full-width digit: stdnum normalises it
        expected = _stdnum(value.upper())
        assert _ours(value) == expected, value
        accepted += expected is not None
    assert accepted > 300
