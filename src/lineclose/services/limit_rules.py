"""The rate limits Lineclose applies, whichever store counts them (`services.limiter` in memory
or Redis for calls, `services.ratelimits` in the database for per-line lock-outs)."""

from __future__ import annotations

from dataclasses import dataclass

from lineclose.services.context import Deps


@dataclass(frozen=True)
class Limit:
    bucket: str
    limit: int
    window_seconds: int
    message: str


def otp_limits(deps: Deps) -> tuple[Limit, ...]:
    """Codes to one line: at most one a minute and a few an hour (settings), whoever asks."""
    s = deps.settings
    return (
        Limit(
            "otp_send_min",
            1,
            s.otp_resend_min_seconds,
            "a code was sent to this line a moment ago: wait before asking again",
        ),
        Limit(
            "otp_send_hour",
            s.otp_sends_per_hour,
            3600,
            "too many codes were sent to this line this hour: try again later",
        ),
    )


def sign_in_per_client(deps: Deps) -> Limit:
    return Limit("sign_in_client", 30, 3600, "too many sign-in attempts from this address")


def otp_failures(deps: Deps) -> Limit:
    s = deps.settings
    return Limit(
        "otp_failures",
        s.otp_lockout_failures,
        s.otp_lockout_seconds,
        "too many wrong codes for this line: it is locked for sign-in for a while",
    )


def precheck_limit(deps: Deps) -> Limit:
    return Limit("precheck", deps.settings.precheck_per_minute, 60, "too many prechecks: slow down")


def certificate_limit(deps: Deps) -> Limit:
    return Limit(
        "certificate_check",
        deps.settings.certificate_checks_per_minute,
        60,
        "too many certificate checks from this address: slow down",
    )
