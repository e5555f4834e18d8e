"""Certificate verification codes: three groups of four characters from the unambiguous
alphabet (no I, O, 0 or 1), every character of it drawn."""

from __future__ import annotations

import re

from lineclose.services.execution_finalize import verification_code

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def test_codes_are_three_groups_of_four_from_the_alphabet_and_differ() -> None:
    codes = [verification_code() for _ in range(2_000)]
    pattern = re.compile(f"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}")
    assert all(pattern.fullmatch(code) for code in codes)
    assert len(set(codes)) == len(codes)
    drawn = "".join(codes).replace("-", "")
    assert set(drawn) == set(ALPHABET)
    # Uniform: each of the 32 characters about 1/32 of 24,000 draws (750), far from 0 or 2x.
    counts = [drawn.count(c) for c in ALPHABET]
    assert min(counts) > 600 and max(counts) < 900
