"""Proving who asks: one-time codes to the line, sessions, service passwords, staff tokens,
evidence shown with a closure. Callers use `identity.<name>`; each use case lives in its module."""

from lineclose.services.identity.caller import (
    redeem_caller_verification,
    remember_caller_verification,
)
from lineclose.services.identity.evidence import IdentityEvidence, verify_evidence
from lineclose.services.identity.otp import (
    METHOD_OTP_ALTERNATE,
    PASSWORD_RESET,
    PURPOSES,
    SIGN_IN,
    SIGN_IN_ALTERNATE,
    ChallengeStarted,
    CodeError,
    VerifyOutcome,
    ensure_not_locked,
    start_otp,
    verify_otp,
)
from lineclose.services.identity.passwords import (
    reset_password_in_store,
    reset_password_with_code,
    set_service_password,
)
from lineclose.services.identity.sessions import open_session, sign_out
from lineclose.services.identity.staff_sessions import (
    actor_from_console_session,
    close_console_session,
    open_console_session,
)
from lineclose.services.identity.tokens import (
    STAFF_TOKEN_PREFIX,
    SUBSCRIBER_TOKEN_PREFIX,
    TOKEN_ROLES,
    actor_from_remembered_token,
    actor_from_token,
    create_staff_token,
    revoke_staff_token,
)

__all__ = [
    "METHOD_OTP_ALTERNATE",
    "PASSWORD_RESET",
    "PURPOSES",
    "SIGN_IN",
    "SIGN_IN_ALTERNATE",
    "STAFF_TOKEN_PREFIX",
    "SUBSCRIBER_TOKEN_PREFIX",
    "TOKEN_ROLES",
    "ChallengeStarted",
    "CodeError",
    "IdentityEvidence",
    "VerifyOutcome",
    "actor_from_console_session",
    "actor_from_remembered_token",
    "actor_from_token",
    "close_console_session",
    "create_staff_token",
    "ensure_not_locked",
    "open_console_session",
    "open_session",
    "redeem_caller_verification",
    "remember_caller_verification",
    "reset_password_in_store",
    "reset_password_with_code",
    "revoke_staff_token",
    "set_service_password",
    "sign_out",
    "start_otp",
    "verify_evidence",
    "verify_otp",
]
