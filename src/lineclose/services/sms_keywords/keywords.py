"""Which words a subscriber may text, per jurisdiction profile: data the operator can extend.

UK operators answer `INFO` (and `PAC`/`STAC`) texts; Chinese operators take `查询` and `注销`.
Matching ignores case and full-width forms, and only the first word counts: `CLOSE 123456`
is CLOSE with a confirmation code.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Keyword(StrEnum):
    INFO = "info"
    CLOSE = "close"
    STOP = "stop"
    START = "start"
    UNKNOWN = "unknown"


_COMMON: dict[Keyword, tuple[str, ...]] = {
    Keyword.INFO: ("INFO",),
    Keyword.CLOSE: ("CLOSE",),
    Keyword.STOP: ("STOP",),
    Keyword.START: ("START",),
}

PROFILE_KEYWORDS: dict[str, dict[Keyword, tuple[str, ...]]] = {
    "cn": {
        Keyword.INFO: ("查询", "CXZX", "INFO"),
        Keyword.CLOSE: ("注销", "CLOSE"),
        Keyword.STOP: ("退订", "TD", "STOP"),
        Keyword.START: ("订阅", "START"),
    },
    "uk": {**_COMMON, Keyword.INFO: ("INFO", "STAC")},
    "us": {**_COMMON, Keyword.STOP: ("STOP", "UNSUBSCRIBE", "CANCEL")},
    "ph": _COMMON,
    "eu": _COMMON,
}

# Whether a text from the line, on its own, proves who asks. Sender numbers can be spoofed on
# some interconnects, so only profiles whose practice is text-to-switch accept it alone.
SMS_ORIGIN_ACCEPTED: dict[str, bool] = {
    "cn": False,
    "uk": True,
    "us": False,
    "ph": False,
    "eu": False,
}


def _fold(word: str) -> str:
    return unicodedata.normalize("NFKC", word).strip().upper()


@dataclass(frozen=True)
class KeywordList:
    words: dict[Keyword, tuple[str, ...]]

    @classmethod
    def for_operator(cls, profile: str, overrides: dict[str, Any] | None) -> KeywordList:
        """The profile's lists; an operator's list for a keyword replaces the profile's."""
        words = dict(PROFILE_KEYWORDS.get(profile, _COMMON))
        for name, given in (overrides or {}).items():
            words[Keyword(name)] = tuple(_fold(w) for w in given if str(w).strip())
        return cls(words)

    def parse(self, text: str) -> tuple[Keyword, str]:
        """The keyword the text starts with and the rest of the text (e.g. a code)."""
        folded = _fold(text)
        first, _, rest = folded.partition(" ")
        for keyword, words in self.words.items():
            for word in words:
                folded_word = _fold(word)
                if first == folded_word:
                    return keyword, rest.strip()
                # Chinese texts often run the code on without a space: "注销123456".
                if not folded_word.isascii() and first.startswith(folded_word):
                    return keyword, (first[len(folded_word) :] + " " + rest).strip()
        return Keyword.UNKNOWN, folded

    def listing(self) -> str:
        """The words to text, one per keyword, as shown in the reply to an unknown word."""
        shown = [self.words[k][0] for k in (Keyword.INFO, Keyword.CLOSE, Keyword.STOP)]
        return ", ".join(shown)
