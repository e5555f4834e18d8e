"""The self-service portal: sign in with a code, see the checklist, fix blockers, submit, follow.

Rules:
- Pages never show a number, account or contact in clear; lines are addressed by their id in
  URLs so that phone numbers stay out of access logs.
- Each POST checks the CSRF token, owns its transaction, and on a refusal re-renders the form
  with the reason and what the subscriber typed, with the refusal's 4xx status.
"""

from __future__ import annotations

from fastapi import APIRouter

from lineclose.web.pages.portal import lines, password, requests, sign_in

router = APIRouter(include_in_schema=False)
for part in (sign_in, password, lines, requests):
    router.include_router(part.router)
