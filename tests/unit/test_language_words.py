"""Times carry their zone, counts use each language's plural forms, codes become words."""

from __future__ import annotations

from datetime import UTC, datetime

from lineclose.i18n import format_datetime_with_zone, translator
from lineclose.services.language import needs_action_words, rejection_words


def test_a_time_shows_its_zone_offset() -> None:
    moment = datetime(2026, 11, 30, 4, 5, tzinfo=UTC)
    shanghai = format_datetime_with_zone(moment, "Asia/Shanghai", "en")
    assert "12:05" in shanghai and "GMT+08:00" in shanghai
    london = format_datetime_with_zone(moment, "Europe/London", "zh_CN")
    assert "04:05" in london and "GMT" in london


def test_counted_texts_use_the_plural_forms_of_each_language() -> None:
    singular = "{count} item to fix before this line can be closed."
    plural = "{count} items to fix before this line can be closed."
    english = translator("en")
    assert english.ngettext(singular, plural, 1).format(count=1).startswith("1 item to fix")
    assert english.ngettext(singular, plural, 3).format(count=3).startswith("3 items to fix")
    chinese = translator("zh_CN").ngettext(singular, plural, 3).format(count=3)
    assert chinese == "注销前还有3项需要处理。"


def test_blocker_and_rejection_codes_become_words_in_the_holders_language() -> None:
    said = needs_action_words(["ARREARS", "BINDINGS_PRESENT"], "zh_CN")
    assert "缴清欠费账单" in said and "解除绑定" in said and "ARREARS" not in said
    reason = [{"code": "REFUND_ACCOUNT_INVALID", "remedy": "CORRECT_REFUND_ACCOUNT"}]
    english = rejection_words(reason, "en")
    assert english == (
        "The refund account is not valid. Enter a correct refund account and resubmit."
    )
