"""The staff console: find a line, verify the caller, submit on their behalf, review, operate.

Rules:
- Staff sign in by pasting their API token; it is kept only in an HttpOnly cookie.
- Every page and action admits the roles `services.access` admits for the same action in the
  API, and reads through the same functions, so the two cannot disagree.
- Search takes an MSISDN, ICCID, reference or ID number. An ID number is looked up by its
  keyed hash (the vault's blind index) and is never shown back in clear.
"""

from __future__ import annotations

from fastapi import APIRouter

from lineclose.web.pages.console import line, outbox, queue, requests, search, sign_in

router = APIRouter(include_in_schema=False)
for part in (sign_in, queue, search, line, requests, outbox):
    router.include_router(part.router)
