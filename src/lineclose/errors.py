"""One error base for everything Lineclose refuses on purpose; one renderer turns it into problem+json."""

from __future__ import annotations

from typing import Any


class LinecloseError(Exception):
    """An expected refusal: a stable `code`, a message that says what to fix, an HTTP status.

    Messages never carry personal data: callers pass masked values only.
    """

    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.extra = extra


class InvalidInput(LinecloseError):
    code = "invalid_input"
    status = 422


class NotFound(LinecloseError):
    code = "not_found"
    status = 404


class Conflict(LinecloseError):
    code = "conflict"
    status = 409


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"


class StaleRequest(Conflict):
    code = "stale_request"


class Unauthenticated(LinecloseError):
    code = "unauthenticated"
    status = 401


class Forbidden(LinecloseError):
    code = "forbidden"
    status = 403


class ChallengeFailed(LinecloseError):
    code = "code_invalid"
    status = 400


class TooManyAttempts(LinecloseError):
    code = "too_many_attempts"
    status = 429


class IdempotencyMismatch(LinecloseError):
    code = "idempotency_key_reused"
    status = 422


class RateLimited(LinecloseError):
    """Too many calls in a window; `retry_after` (seconds) becomes the Retry-After header."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code, retry_after=retry_after)
        self.retry_after = retry_after
