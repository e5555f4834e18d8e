"""A certificate of a closure whose credit did not cover the charges says what is still owed."""

from __future__ import annotations

from lineclose.certificates.pdf import render_certificate
from tests.unit.test_certificate_pdf import _english, _text, needs_font


@needs_font
def test_a_certificate_names_the_amount_still_owed_and_how_to_pay() -> None:
    owed = _english(
        refund_minor=0, refund_destination_masked=None, paid_credit_minor=0, amount_due_minor=1_234
    )
    text = _text(render_certificate(owed))
    assert "Amount still owed" in text and "£12.34" in text
    assert "How to pay" in text and owed.reference in text.split("How to pay")[1]
    assert "No refund due" not in text


@needs_font
def test_a_certificate_with_nothing_owed_says_nothing_of_it() -> None:
    text = _text(render_certificate(_english()))
    assert "Amount still owed" not in text
