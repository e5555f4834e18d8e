"""Identifiers validated at the edge, masks for display, jurisdiction profiles and number aging."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum import luhn
from stdnum.cn import ric

from lineclose.domain.aging import NumberState, aging_until, is_released
from lineclose.domain.identifiers import (
    IdNumber,
    InvalidIdentifier,
    mask_account,
    mask_contact,
    mask_id_number,
    mask_middle,
    mask_msisdn,
    mask_name,
    normalize_iccid,
    normalize_id_number,
    normalize_imsi,
    normalize_msisdn,
    region_of,
)
from lineclose.domain.profiles import PROFILES, Sourced, profile_for

TODAY = date(2026, 3, 10)


def resident_id(first_17: str) -> str:
    """A Chinese resident ID with the correct check digit for its first 17 characters."""
    return first_17 + ric.calc_check_digit(first_17 + "0")


def iccid(body: str) -> str:
    """An ICCID with a correct Luhn check digit."""
    return body + luhn.calc_check_digit(body)


VALID_ID = resident_id("11010519900307123")  # 110105199003071239
ID_ENDING_IN_X = resident_id("11010519900307101")


# --- Phone numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+8613800138000", None, "+8613800138000"),
        (" +86 138 0013 8000 ", None, "+8613800138000"),
        ("+44 7911 123456", None, "+447911123456"),
        ("+1 202-555-0123", None, "+12025550123"),
        ("138 0013 8000", "CN", "+8613800138000"),
        ("07911 123456", "GB", "+447911123456"),
        ("0917 123 4567", "PH", "+639171234567"),
    ],
)
def test_msisdn_is_returned_in_e164(raw: str, region: str | None, expected: str) -> None:
    assert normalize_msisdn(raw, region) == expected


def test_a_national_msisdn_without_a_region_is_refused() -> None:
    with pytest.raises(InvalidIdentifier, match=r"E\.164") as refused:
        normalize_msisdn("138 0013 8000")
    assert refused.value.field == "msisdn"


@pytest.mark.parametrize("raw", ["", "hello", "+", "++86", "+999123456789"])
def test_text_that_is_not_a_phone_number_is_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentifier) as refused:
        normalize_msisdn(raw)
    assert refused.value.field == "msisdn"


@pytest.mark.parametrize("raw", ["+86138001380", "+861380013800099", "+8612345"])
def test_a_number_with_a_wrong_length_or_country_code_is_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentifier, match="not a valid phone number") as refused:
        normalize_msisdn(raw)
    assert refused.value.field == "msisdn"


def test_invalid_identifier_is_a_value_error() -> None:
    assert issubclass(InvalidIdentifier, ValueError)


@pytest.mark.parametrize(
    ("msisdn", "region"),
    [("+8613800138000", "CN"), ("+442079460018", "GB"), ("+639171234567", "PH")],
)
def test_region_of_a_number_is_its_country(msisdn: str, region: str) -> None:
    assert region_of(msisdn) == region


# --- SIM serials and subscriber identities ------------------------------------------------


@pytest.mark.parametrize(
    "raw", [iccid("8986001234567890123"), iccid("898600123456789012")], ids=["20", "19"]
)
def test_an_iccid_of_19_or_20_digits_with_a_good_check_digit_is_accepted(raw: str) -> None:
    assert normalize_iccid(raw) == raw


def test_spaces_inside_an_iccid_are_removed() -> None:
    raw = iccid("8986001234567890123")
    spaced = " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))
    assert normalize_iccid(spaced) == raw


def test_an_iccid_with_a_wrong_check_digit_is_refused() -> None:
    good = iccid("8986001234567890123")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    with pytest.raises(InvalidIdentifier, match="check digit") as refused:
        normalize_iccid(bad)
    assert refused.value.field == "iccid"


@pytest.mark.parametrize(
    "raw",
    [
        iccid("89860012345678901"),  # 18 digits
        iccid("89860012345678901234"),  # 21 digits
        iccid("1986001234567890123"),  # does not start with 89
        "8986001234567890ABCD",
    ],
    ids=["too-short", "too-long", "no-89-prefix", "letters"],
)
def test_an_iccid_of_the_wrong_shape_is_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentifier, match="19 or 20 digits starting with 89") as refused:
        normalize_iccid(raw)
    assert refused.value.field == "iccid"


@pytest.mark.parametrize("raw", ["46000123456789", "460001234567890", " 460001234567890 "])
def test_an_imsi_of_14_or_15_digits_is_accepted(raw: str) -> None:
    assert normalize_imsi(raw) == raw.strip()


@pytest.mark.parametrize("raw", ["4600012345678", "4600012345678901", "46000123456789X", ""])
def test_an_imsi_of_the_wrong_shape_is_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentifier, match="14 or 15 digits") as refused:
        normalize_imsi(raw)
    assert refused.value.field == "imsi"


# --- ID numbers ----------------------------------------------------------------------------


def test_a_valid_resident_id_is_accepted() -> None:
    assert normalize_id_number(VALID_ID, "cn_ric", TODAY) == IdNumber("cn_ric", VALID_ID)


def test_a_resident_id_with_a_wrong_check_digit_is_refused() -> None:
    wrong = VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1")
    with pytest.raises(InvalidIdentifier, match="not a valid resident ID") as refused:
        normalize_id_number(wrong, "cn_ric", TODAY)
    assert refused.value.field == "id_number"


@pytest.mark.parametrize("raw", ["11010519900307123", "1101051990030712399", "110105199013071239"])
def test_a_resident_id_of_the_wrong_length_or_with_an_impossible_date_is_refused(
    raw: str,
) -> None:
    with pytest.raises(InvalidIdentifier) as refused:
        normalize_id_number(raw, "cn_ric", TODAY)
    assert refused.value.field == "id_number"


def test_a_resident_id_born_in_the_future_is_refused() -> None:
    future = resident_id("11010520300101123")
    assert ric.is_valid(future)  # the library alone would accept it
    with pytest.raises(InvalidIdentifier, match="birth date in the future") as refused:
        normalize_id_number(future, "cn_ric", TODAY)
    assert refused.value.field == "id_number"


def test_a_resident_id_born_today_is_accepted() -> None:
    born_today = resident_id("11010520260310123")
    assert normalize_id_number(born_today, "cn_ric", TODAY).value == born_today


def test_spaces_inside_a_resident_id_are_removed() -> None:
    spaced = f"{VALID_ID[:6]} {VALID_ID[6:14]} {VALID_ID[14:]}"
    assert normalize_id_number(spaced, "cn_ric", TODAY).value == VALID_ID


def test_a_lowercase_x_check_character_is_upper_cased() -> None:
    assert ID_ENDING_IN_X.endswith("X")
    result = normalize_id_number(ID_ENDING_IN_X.lower(), "cn_ric", TODAY)
    assert result.value == ID_ENDING_IN_X


def test_a_generic_id_number_is_compacted_and_upper_cased() -> None:
    assert normalize_id_number(" ab 12 345 ", "generic", TODAY) == IdNumber("generic", "AB12345")


@pytest.mark.parametrize("raw", ["AB12", "A" * 33, "AB-12345", "AB12345!"])
def test_a_generic_id_number_of_the_wrong_shape_is_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentifier, match="5 to 32") as refused:
        normalize_id_number(raw, "generic", TODAY)
    assert refused.value.field == "id_number"


# --- Masks ---------------------------------------------------------------------------------


def test_an_id_number_is_masked_to_its_first_three_and_last_four_characters() -> None:
    assert mask_id_number("110105199003071238", partial_allowed=False) == "110***********1238"


def test_mask_middle_stars_everything_when_too_short_to_keep_both_ends() -> None:
    assert mask_middle("1234567", 3, 4) == "*******"
    assert mask_middle("123", 3, 4) == "***"
    assert mask_middle("12345678", 3, 4) == "123*5678"


def test_a_chinese_msisdn_keeps_country_code_and_two_digits_and_the_last_four() -> None:
    assert mask_msisdn("+8613800138000") == "+8613*****8000"


def test_other_msisdns_keep_four_leading_and_four_trailing_characters() -> None:
    assert mask_msisdn("+447911123456") == "+447*****3456"
    assert mask_msisdn("+12025550123") == "+120****0123"


def test_a_masked_msisdn_keeps_its_length() -> None:
    for number in ("+8613800138000", "+447911123456"):
        assert len(mask_msisdn(number)) == len(number)


def test_an_account_is_compacted_then_masked_to_two_and_four() -> None:
    assert mask_account("GB29 NWBK 6016 1331 9268 19") == "GB****************6819"
    assert mask_account("6222 0212 3456 7890") == "62**********7890"


def test_a_name_keeps_only_its_first_character() -> None:
    assert mask_name("张三丰") == "张**"
    assert mask_name("  Alice Smith ") == "A**********"
    assert mask_name("李") == "李*"
    assert mask_name("   ") == ""


def test_an_email_contact_keeps_the_first_letter_and_the_domain() -> None:
    assert mask_contact("alice@example.com") == "a***@example.com"
    assert mask_contact("@example.com") == "***@example.com"


def test_a_phone_contact_is_masked_as_a_phone_number() -> None:
    assert mask_contact("+8613800138000") == "+8613*****8000"


# --- Jurisdiction profiles -------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(PROFILES))
def test_every_profile_loads_with_sourced_rule_values(code: str) -> None:
    profile = profile_for(code)
    assert profile.code == code
    assert len(profile.currency) == 3
    assert profile.calendar in {"chinesecalendar", "holidays"}
    assert profile.id_scheme in {"cn_ric", "generic"}
    for name in (
        "review_working_days",
        "aging_days",
        "refund_fee_minor",
        "retention_days_after_closure",
        "second_approval_refund_minor",
    ):
        value = getattr(profile, name)
        assert isinstance(value, Sourced)
        assert value.value >= 0
        assert value.mark in {"law", "rep", "practice"}
        assert value.note


def test_the_known_profiles_are_china_uk_us_philippines_and_eu() -> None:
    assert set(PROFILES) == {"cn", "uk", "us", "ph", "eu"}


def test_only_china_uses_the_chinese_calendar_and_resident_ids() -> None:
    cn = profile_for("cn")
    assert (cn.calendar, cn.id_scheme, cn.country, cn.currency) == (
        "chinesecalendar",
        "cn_ric",
        "CN",
        "CNY",
    )
    for code in ("uk", "us", "ph", "eu"):
        assert profile_for(code).calendar == "holidays"
        assert profile_for(code).id_scheme == "generic"


def test_an_unknown_profile_is_refused_with_the_known_codes() -> None:
    with pytest.raises(ValueError, match="unknown jurisdiction profile 'xx'; use one of cn, eu"):
        profile_for("xx")


def test_an_override_changes_the_value_and_marks_it_operator_practice() -> None:
    profile = profile_for("us", {"aging_days": 60})
    assert profile.aging_days == Sourced(60, "practice", "operator override")
    assert profile.review_working_days == PROFILES["us"].review_working_days


def test_with_overrides_leaves_the_built_in_profile_unchanged() -> None:
    PROFILES["cn"].with_overrides({"review_working_days": 9})
    assert PROFILES["cn"].review_working_days.value == 2


def test_an_override_of_a_plain_setting_replaces_it() -> None:
    profile = profile_for("cn", {"timezone": "Asia/Urumqi", "id_last_six_allowed": False})
    assert profile.timezone == "Asia/Urumqi"
    assert profile.id_last_six_allowed is False


def test_zero_is_an_acceptable_override() -> None:
    assert profile_for("eu", {"refund_fee_minor": 0}).refund_fee_minor.value == 0


def test_an_unknown_override_key_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown profile setting 'aging_weeks'"):
        profile_for("cn", {"aging_weeks": 3})


@pytest.mark.parametrize("value", [-1, 2.5, "90", None])
def test_a_rule_override_that_is_not_a_non_negative_whole_number_is_refused(
    value: object,
) -> None:
    with pytest.raises(ValueError, match="aging_days must be a non-negative whole number"):
        profile_for("cn", {"aging_days": value})


def test_a_rule_override_of_true_or_false_is_refused() -> None:
    with pytest.raises(ValueError):
        profile_for("cn", {"aging_days": True})


def test_no_overrides_returns_the_built_in_profile() -> None:
    assert profile_for("cn", {}) is PROFILES["cn"]
    assert profile_for("cn", None) is PROFILES["cn"]


# --- Number aging ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "until"),
    [
        ("us", date(2026, 4, 24)),  # 45 days
        ("cn", date(2026, 6, 8)),  # 90 days
        ("uk", date(2026, 6, 8)),  # 90 days
        ("ph", date(2026, 6, 8)),  # 90 days
        ("eu", date(2026, 9, 6)),  # 180 days
    ],
)
def test_a_number_ages_for_the_profile_s_days_before_reuse(code: str, until: date) -> None:
    assert aging_until(TODAY, profile_for(code)) == until


def test_aging_follows_an_operator_override() -> None:
    assert aging_until(TODAY, profile_for("cn", {"aging_days": 180})) == date(2026, 9, 6)


def test_an_aging_number_is_released_on_and_after_its_until_date() -> None:
    until = date(2026, 6, 8)
    assert not is_released(NumberState.AGING, until, date(2026, 6, 7))
    assert is_released(NumberState.AGING, until, until)
    assert is_released(NumberState.AGING, until, date(2026, 7, 1))


def test_an_aging_number_without_a_date_is_never_released() -> None:
    assert not is_released(NumberState.AGING, None, date(2030, 1, 1))


@pytest.mark.parametrize(
    "state", [NumberState.ASSIGNED, NumberState.AVAILABLE, NumberState.PORTED_OUT]
)
def test_only_aging_numbers_are_released(state: NumberState) -> None:
    assert not is_released(state, date(2026, 1, 1), date(2026, 6, 1))
