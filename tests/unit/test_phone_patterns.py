"""Numbers are judged as phonenumbers judges them: the same accepted (same E.164 form), the
same refused with the same message, across the regions in use and edge cases, whether the
pattern check answers or hands the number to phonenumbers."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineclose.domain.identifiers import InvalidIdentifier, normalize_msisdn
from lineclose.domain.phone_patterns import check_plain
from lineclose.domain.profiles import PROFILES

IN_USE = sorted({p.country for p in PROFILES.values()})
# Single-region codes, shared codes (+1, +7, +44, +61) and codes with national prefixes that
# phonenumbers strips even after a "+" (+39 Italy's leading zero, +54, +55).
OTHERS = ["DE", "FR", "IT", "IN", "JP", "AR", "BR", "MX", "RU", "AU", "CA", "GG", "SG", "ZA"]


def _reference(raw: str, region: str) -> str:
    """normalize_msisdn as phonenumbers alone answers it."""
    try:
        parsed = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        return "error: parse"
    if not phonenumbers.is_valid_number(parsed):
        return "error: invalid"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _ours(raw: str, region: str) -> str:
    try:
        return normalize_msisdn(raw, region)
    except InvalidIdentifier as exc:
        return "error: invalid" if "not a valid" in str(exc) else "error: parse"


def _variants(rng: random.Random, region: str) -> list[str]:
    code = str(phonenumbers.country_code_for_region(region))
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    base = str(example.national_number) if example else "2" * 9
    digits = "".join(c if rng.random() < 0.7 else rng.choice("0123456789") for c in base)
    longer = digits + rng.choice("0123456789")
    return [
        f"+{code}{digits}",
        f"+{code}{digits[:-1]}",  # one digit short
        f"+{code}{longer}",  # one digit long
        f"+{code}{rng.choice('0123456789')}{digits[1:]}",  # another leading digit
        f"+{code}0{digits}",  # a national prefix after the country code
        f" +{code}{digits} ",
        f"+{code} {digits[:3]} {digits[3:]}",
        f"{digits}",
        f"0{digits}",
        f"+{rng.randint(1, 999)}{digits}",
        f"+{code}{digits[: rng.randint(0, 3)]}",
        f"+0{code}{digits}",
        f"++{code}{digits}",
        f"+{code}{digits}1234567890",
    ]


@pytest.mark.parametrize("seed", range(3))
def test_the_same_numbers_are_accepted_and_refused_as_by_phonenumbers(seed: int) -> None:
    rng = random.Random(seed)
    answered = accepted = 0
    for _ in range(250):
        for region in [*IN_USE, *OTHERS]:
            for raw in _variants(rng, region):
                expected = _reference(raw, IN_USE[0])
                assert _ours(raw, IN_USE[0]) == expected, (raw, region)
                answered += check_plain(raw.strip()) is not None
                accepted += not expected.startswith("error")
    assert answered > 12_000 and accepted > 4_000  # the pattern path is the one exercised


@settings(max_examples=3_000, deadline=None)
@given(
    st.sampled_from(["86", "44", "1", "63", "32", "39", "7", "49", "54", "55", "81", "91"]),
    st.text("0123456789", min_size=0, max_size=18),
    st.sampled_from(IN_USE),
)
def test_any_plus_and_digits_is_judged_as_phonenumbers_judges_it(
    code: str, national: str, region: str
) -> None:
    raw = f"+{code}{national}"
    assert _ours(raw, region) == _reference(raw, region)


def test_a_shared_country_code_is_left_to_phonenumbers() -> None:
    assert check_plain("+12025550123") is None  # +1: the United States, Canada and others
    assert check_plain("+8613912345678") is True
    assert check_plain("+861391234567") is False
    assert check_plain("+86 13912345678") is None
