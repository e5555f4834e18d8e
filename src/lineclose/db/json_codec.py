"""JSON as the database's JSON columns store and read it: orjson, several times faster than
the standard library, since bulk paths write and read one JSON document per row by the hundred
thousand (outbox payloads, quotes, blockers, audit details).

Keys that are not strings are written as strings, as the standard library writes them. What is
hashed (audit entries, request digests, import digests) keeps its own standard-library format,
which these columns never need to match.
"""

from __future__ import annotations

from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> str:
    return orjson.dumps(value, option=_OPTIONS).decode()


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)
