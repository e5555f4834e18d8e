"""Rules of review and of what a requester gives: two approvers, rejection remedies, refund
accounts, alternate contacts, references read out on the phone."""

from __future__ import annotations

import itertools

import pytest

from lineclose.domain.approvals import ApprovalStep, decide_approval, needs_second_approver
from lineclose.domain.contacts import validate_alternate_contact, validate_refund_account
from lineclose.domain.identifiers import InvalidIdentifier
from lineclose.domain.references import (
    ALPHABET,
    check_character,
    format_reference,
    parse_reference,
)
from lineclose.domain.rejections import (
    REMEDY_FOR_REASON,
    RejectionReason,
    ReviewReason,
    rejection_detail,
)
from lineclose.i18n import render_notice
from lineclose.services.closure.references import secure_body

THRESHOLD = 50_000


def test_a_refund_at_the_threshold_needs_one_approver_and_one_above_it_needs_two() -> None:
    assert not needs_second_approver(THRESHOLD, THRESHOLD)
    assert needs_second_approver(THRESHOLD + 1, THRESHOLD)


def test_below_the_threshold_the_first_approval_is_final() -> None:
    decision = decide_approval("rev-a", THRESHOLD, THRESHOLD, [])
    assert decision.step is ApprovalStep.APPROVE
    assert decision.first_approved_by is None


def test_above_the_threshold_the_first_approval_is_only_recorded() -> None:
    assert decide_approval("rev-a", THRESHOLD + 1, THRESHOLD, []).step is ApprovalStep.RECORD_FIRST


def test_the_second_approver_must_be_someone_else() -> None:
    decision = decide_approval("rev-a", THRESHOLD + 1, THRESHOLD, ["rev-a"])
    assert decision.step is ApprovalStep.REFUSED_SAME_APPROVER


def test_a_different_second_approver_approves_and_names_the_first() -> None:
    decision = decide_approval("rev-b", THRESHOLD + 1, THRESHOLD, ["rev-a"])
    assert decision.step is ApprovalStep.APPROVE
    assert decision.first_approved_by == "rev-a"


def test_every_rejection_reason_has_a_remedy() -> None:
    assert set(REMEDY_FOR_REASON) == set(RejectionReason)
    assert REMEDY_FOR_REASON[RejectionReason.DOCUMENT_UNREADABLE] == "VERIFY_ID_DOCUMENT_IN_STORE"


def test_a_rejection_records_each_reason_with_its_remedy_and_a_trimmed_note() -> None:
    detail = rejection_detail(
        [
            ReviewReason(RejectionReason.ID_MISMATCH, "  name differs  "),
            ReviewReason(RejectionReason.OTHER, "x" * 600),
        ]
    )
    assert detail == [
        {"code": "ID_MISMATCH", "remedy": "VERIFY_IDENTITY", "note": "name differs"},
        {"code": "OTHER", "remedy": "CONTACT_SUPPORT", "note": "x" * 500},
    ]


def test_a_rejection_without_a_reason_is_refused() -> None:
    with pytest.raises(ValueError):
        rejection_detail([])


def test_refund_accounts_are_ibans_with_valid_digits_or_plain_account_numbers() -> None:
    assert validate_refund_account("GB82 WEST 1234 5698 7654 32") == "GB82WEST12345698765432"
    assert validate_refund_account("6222 0212 3456 7890") == "6222021234567890"
    for bad in ("GB00WEST12345698765432", "1234", "12-34-56-78"):
        with pytest.raises(InvalidIdentifier) as refused:
            validate_refund_account(bad)
        assert refused.value.field == "refund_account"


def test_the_alternate_contact_is_an_address_or_another_number() -> None:
    line = "+8613900000001"
    assert validate_alternate_contact(" me@example.com ", line) == "me@example.com"
    assert validate_alternate_contact("+86 139 0000 0002", line) == "+8613900000002"
    for bad in ("@example.com", "me@example", "not a number", "+86 139 0000 0001"):
        with pytest.raises(InvalidIdentifier) as refused:
            validate_alternate_contact(bad, line)
        assert refused.value.field == "alternate_contact"


def test_a_reference_reads_back_to_itself_whatever_the_case_spacing_and_dashes() -> None:
    reference = format_reference(2026, "7KQ4MX2P9")
    assert reference.startswith("LC-2026-7KQ4M-X2P9")
    assert len(reference) == len("LC-2026-XXXXX-XXXXX")
    spoken = reference.lower().replace("-", " ")
    assert parse_reference(spoken) == reference
    with_letters = format_reference(2026, "7KQ4MX210")
    body = with_letters.removeprefix("LC-2026-")
    assert parse_reference("LC-2026-" + body.replace("1", "l").replace("0", "O")) == with_letters


def test_every_single_mistyped_character_is_caught_by_the_check_character() -> None:
    body = "7KQ4MX2P9"
    full = body + check_character(body)
    for position, wrong in itertools.product(range(len(full)), ALPHABET):
        if wrong == full[position]:
            continue
        typo = full[:position] + wrong + full[position + 1 :]
        with pytest.raises(InvalidIdentifier):
            parse_reference(f"LC-2026-{typo}")


def test_references_of_earlier_shapes_are_still_looked_up_as_typed() -> None:
    assert parse_reference(" lc-2026-abc234 ") == "LC-2026-ABC234"


def test_reference_bodies_use_every_symbol_in_every_position() -> None:
    bodies = [secure_body() for _ in range(2_000)]
    assert all(len(body) == 9 and set(body) <= set(ALPHABET) for body in bodies)
    # 2,000 draws miss a given symbol at a given position with odds of about 1e-27.
    for position in range(9):
        assert {body[position] for body in bodies} == set(ALPHABET)
    assert len(set(bodies)) == len(bodies)


@pytest.mark.parametrize("notice", ["request_received", "approved", "needs_action"])
def test_a_chinese_notice_carrying_a_reference_fits_one_sms_segment(notice: str) -> None:
    text = render_notice(
        notice,
        "zh_CN",
        reference=format_reference(2026, "7KQ4MX2P9"),
        msisdn="139****0404",
        operator="Test CN",
        date="2026-11-30",
        action="ARREARS",
    )
    assert len(text.encode("utf-16-le")) // 2 <= 70  # one UCS-2 segment
