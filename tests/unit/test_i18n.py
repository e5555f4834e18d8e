"""Languages: negotiation, catalogues, notices, money and dates."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from lineclose.i18n import (
    LOCALE_DIR,
    NOTICES,
    SUPPORTED_LOCALES,
    Translator,
    format_date,
    format_datetime,
    format_money,
    negotiate_locale,
    render_notice,
    translator,
)


def _catalog_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"


def _forms(value: object) -> list[str]:
    """The texts of a catalogue id or string: one, or one per plural form."""
    if isinstance(value, tuple | list):
        return [item if isinstance(item, str) else "" for item in value]
    return [value] if isinstance(value, str) else []


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


# --------------------------------------------------------------------------- translation


def test_supported_locales() -> None:
    assert SUPPORTED_LOCALES == ("zh_CN", "en")


def test_zh_cn_text_is_returned_for_zh_cn() -> None:
    assert translator("zh_CN").gettext("Line Closure Certificate") == "号码注销证明"
    assert translator("en").gettext("Line Closure Certificate") == "Line Closure Certificate"


def test_unknown_msgid_falls_back_to_the_msgid() -> None:
    assert translator("zh_CN").gettext("Not in any catalogue") == "Not in any catalogue"


def test_ngettext_follows_each_languages_plural_rule() -> None:
    en, zh = translator("en"), translator("zh_CN")
    assert en.ngettext("{count} item", "{count} items", 1) == "{count} item"
    assert en.ngettext("{count} item", "{count} items", 2) == "{count} items"
    assert zh.ngettext("{count} item", "{count} items", 1) == "共{count}项"
    assert zh.ngettext("{count} item", "{count} items", 5) == "共{count}项"


def test_translator_is_cached_per_locale_and_accepts_tag_spellings() -> None:
    assert translator("zh_CN") is translator("zh-CN")
    assert translator("en") is translator("en-GB")
    assert translator("en") is not translator("zh_CN")


def test_unsupported_locale_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported locale"):
        Translator("fr")


# --------------------------------------------------------------------------- catalogues


def test_every_english_msgid_has_a_chinese_translation() -> None:
    with _catalog_path("en").open("rb") as f:
        english = read_po(f)
    with _catalog_path("zh_CN").open("rb") as f:
        chinese = read_po(f)
    missing: list[str] = []
    for message in english:
        if not message.id:
            continue  # the header
        found = chinese.get(message.id)
        forms = [] if found is None else _forms(found.string)
        if found is None or found.fuzzy or not forms or not all(forms):
            missing.append(str(message.id))
    assert missing == []


def test_translations_keep_every_placeholder() -> None:
    """A translation that drops or renames a {placeholder} would fail at send time."""
    with _catalog_path("zh_CN").open("rb") as f:
        chinese = read_po(f)
    for message in chinese:
        if not message.id:
            continue
        expected = set().union(*(_placeholders(i) for i in _forms(message.id)))
        for text in _forms(message.string):
            assert _placeholders(text) == expected, message.id


def test_every_notice_is_in_both_catalogues() -> None:
    for locale in SUPPORTED_LOCALES:
        with _catalog_path(locale).open("rb") as f:
            catalog = read_po(f)
        for name, msgid in NOTICES.items():
            assert catalog.get(msgid) is not None, (locale, name)


# --------------------------------------------------------------------------- notices


def test_one_time_code_sms() -> None:
    values = {"operator": "Lineclose Mobile", "code": "482913", "minutes": 5}
    assert render_notice("otp_sms", "en", **values) == (
        "Your Lineclose Mobile code is 482913. It expires in 5 minutes. Never share it."
    )
    zh = render_notice("otp_sms", "zh_CN", **values)
    assert "482913" in zh and "5分钟" in zh and "验证码" in zh


def test_rejected_notice_carries_the_reason() -> None:
    text = render_notice(
        "rejected", "zh_CN", reference="LC-2025-000123", reason="身份证件照片不清晰"
    )
    assert "LC-2025-000123" in text and "身份证件照片不清晰" in text and "未通过" in text


def test_closed_notice_to_alternate_contact_has_reference_and_code() -> None:
    text = render_notice(
        "closed_alternate_contact",
        "en",
        msisdn="138****5678",
        reference="LC-2025-000123",
        verification_code="7KQ4-MX2P-9D",
    )
    assert "LC-2025-000123" in text and "7KQ4-MX2P-9D" in text


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_notice_renders_in_every_language(locale: str) -> None:
    for name, msgid in NOTICES.items():
        values = {field: f"<{field}>" for field in _placeholders(msgid)}
        text = render_notice(name, locale, **values)
        for value in values.values():
            assert value in text, (locale, name)


def test_notice_with_a_missing_value_is_refused() -> None:
    with pytest.raises(ValueError, match="'code'"):
        render_notice("otp_sms", "en", operator="X", minutes=5)


def test_unknown_notice_is_refused() -> None:
    with pytest.raises(KeyError):
        render_notice("no_such_notice", "en")


# --------------------------------------------------------------------------- negotiation


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
        ("en-GB,en;q=0.9,zh-CN;q=0.8", "en"),
        ("fr-FR,fr;q=0.9,en-US;q=0.6,zh;q=0.5", "en"),
        ("fr;q=1, zh-Hans-CN;q=0.8, en;q=0.7", "zh_CN"),
        ("en;q=0.2, zh-TW;q=0.9", "zh_CN"),
        ("en;q=0, zh;q=0.1", "zh_CN"),  # q=0 means "not acceptable"
        ("de, fr", "zh_CN"),  # nothing supported: the default
        ("*", "zh_CN"),
        ("", "zh_CN"),
        ("garbage;;;, en-US", "en"),  # malformed elements are skipped
    ],
)
def test_negotiation_from_accept_language(header: str, expected: str) -> None:
    assert negotiate_locale(header, None, "zh_CN") == expected


def test_stored_preference_wins_over_the_header() -> None:
    assert negotiate_locale("zh-CN,zh;q=0.9", "en", "zh_CN") == "en"
    assert negotiate_locale("en-US", "zh-CN", "en") == "zh_CN"


def test_unsupported_preference_falls_through_to_the_header() -> None:
    assert negotiate_locale("en-US", "fr", "zh_CN") == "en"


def test_no_header_and_no_preference_gives_the_default() -> None:
    assert negotiate_locale(None, None, "en") == "en"


def test_unsupported_default_is_a_configuration_error() -> None:
    with pytest.raises(ValueError):
        negotiate_locale(None, None, "fr")


# --------------------------------------------------------------------------- money


def test_money_cny_in_chinese() -> None:
    assert format_money(12345, "CNY", "zh_CN") == "¥123.45"


def test_money_gbp_in_english() -> None:
    assert format_money(12345, "GBP", "en") == "£123.45"


def test_jpy_has_no_decimals() -> None:
    text = format_money(12345, "JPY", "en")
    assert text == "¥12,345"
    assert "." not in text


def test_money_is_exact_for_large_amounts() -> None:
    # 2**53 + 1 cannot be represented as a float; exact decimal shifting keeps the last digit.
    assert format_money(2**53 + 1, "CNY", "en") == "CN¥90,071,992,547,409.93"


def test_money_negative_and_zero() -> None:
    assert format_money(0, "GBP", "en") == "£0.00"
    assert format_money(-500, "GBP", "en") == "-£5.00"


def test_money_refuses_floats_and_unknown_currencies() -> None:
    with pytest.raises(TypeError):
        format_money(123.45, "CNY", "en")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="currency"):
        format_money(100, "XYZ", "en")


# --------------------------------------------------------------------------- dates


def test_format_date() -> None:
    assert format_date(date(2025, 3, 14), "zh_CN") == "2025年3月14日"
    assert format_date(date(2025, 3, 14), "en") == "March 14, 2025"


def test_format_datetime_is_shown_in_the_given_zone() -> None:
    instant = datetime(2025, 3, 14, 7, 9, 26, tzinfo=UTC)
    assert format_datetime(instant, "Asia/Shanghai", "zh_CN") == "2025年3月14日 15:09:26"
    # Same instant given with another offset: same wall-clock result.
    shifted = instant.astimezone(timezone(timedelta(hours=-5)))
    assert format_datetime(shifted, "Asia/Shanghai", "zh_CN") == "2025年3月14日 15:09:26"
    assert "7:09:26" in format_datetime(instant, "Europe/London", "en")


def test_format_datetime_refuses_naive_and_unknown_zones() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_datetime(datetime(2025, 3, 14, 7, 9), "Asia/Shanghai", "en")
    with pytest.raises(ValueError, match="time zone"):
        format_datetime(datetime(2025, 3, 14, tzinfo=UTC), "Mars/Olympus", "en")
