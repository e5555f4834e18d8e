"""Numbers in plain E.164 checked with phonenumbers' own metadata, without its parser.

`phonenumbers.parse` plus `is_valid_number` cost some 50 to 70 µs a number; for the common
case (`+`, a country code of a single region, a national number that phonenumbers would take
as given) the verdict is the region's patterns: the general description's lengths and
pattern, then any number type's. Each of those patterns is compiled once per country code.
Anything else (spaces, national forms, a national prefix phonenumbers might strip, leading
zeros, country codes shared by several regions) gets no answer here: the caller asks
phonenumbers itself. Same verdicts, checked against phonenumbers on generated numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

_PLAIN = re.compile(r"\+[1-9][0-9]*")
# phonenumbers refuses national numbers outside these lengths while parsing.
_MIN_NSN, _MAX_NSN = 2, 17
_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
)


@dataclass(frozen=True)
class _Desc:
    lengths: frozenset[int]  # empty: any length
    pattern: re.Pattern[str]

    def matches(self, national: str) -> bool:
        # phonenumbers' `_is_number_matching_desc`: the lengths first, then a full match.
        if self.lengths and len(national) not in self.lengths:
            return False
        return self.pattern.fullmatch(national) is not None


@dataclass(frozen=True)
class _Region:
    general: _Desc
    types: tuple[_Desc, ...]
    national_prefix: re.Pattern[str] | None

    def valid(self, national: str) -> bool:
        return self.general.matches(national) and any(t.matches(national) for t in self.types)


def _desc(desc: Any) -> _Desc | None:
    if desc is None or not desc.national_number_pattern:
        return None
    return _Desc(frozenset(desc.possible_length or ()), re.compile(desc.national_number_pattern))


@lru_cache(maxsize=512)
def _region(country_code: int) -> _Region | None:
    """The patterns of a country code served by one region, or None (not answered here)."""
    regions = COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not regions or len(regions) != 1 or regions[0] == "001":
        return None
    metadata = PhoneMetadata.metadata_for_region(regions[0], None)
    if metadata is None:
        return None
    general = _desc(metadata.general_desc)
    if general is None:
        return None
    names = list(_TYPES)
    # phonenumbers does not look at the mobile pattern when it is the fixed-line one.
    if not metadata.same_mobile_and_fixed_line_pattern:
        names.append("mobile")
    types = tuple(d for name in names if (d := _desc(getattr(metadata, name))) is not None)
    prefix = metadata.national_prefix_for_parsing
    return _Region(general, types, re.compile(prefix) if prefix else None)


def _country_code(digits: str) -> int:
    """The shortest leading digits that are a country code, as phonenumbers reads them."""
    for size in (1, 2, 3):
        if int(digits[:size]) in COUNTRY_CODE_TO_REGION_CODE:
            return int(digits[:size])
    return 0


def check_plain(text: str) -> bool | None:
    """True or False when `text` (already stripped) is a number this module can judge exactly
    as `phonenumbers.parse(text)` then `is_valid_number` would; None when it cannot say."""
    if _PLAIN.fullmatch(text) is None:
        return None
    digits = text[1:]
    country = _country_code(digits)
    if country == 0:
        return None
    national = digits[len(str(country)) :]
    if not _MIN_NSN <= len(national) <= _MAX_NSN or national[0] == "0":
        return None
    region = _region(country)
    if region is None:
        return None
    if region.national_prefix is not None and region.national_prefix.match(national):
        return None  # phonenumbers may strip a national prefix here: let it decide
    return region.valid(national)
