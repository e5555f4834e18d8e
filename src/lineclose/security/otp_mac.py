"""One-time codes are stored as a MAC under a server-side key, never as a hash a row can undo.

A six-digit code has a million values: HMAC'd with a salt kept in the same row, a stolen database
gives every live code up in well under a second. Keyed with the vault's index key instead (held
in the key file or `LINECLOSE_DATA_KEYS`, never in the database), the stored value says nothing
without that key. The per-challenge salt stays in the message so equal codes never store alike.
"""

from __future__ import annotations

import hmac

from lineclose.security.vault import Vault


def otp_code_mac(vault: Vault, code: str, salt: str) -> str:
    """The value to store for `code` in a challenge whose salt is `salt`."""
    return vault.blind_index(f"otp-code|{salt}|{code.strip()}")


def otp_code_matches(vault: Vault, stored: str, code: str, salt: str) -> bool:
    """Constant-time check of a code given by the caller against the stored MAC."""
    return hmac.compare_digest(stored, otp_code_mac(vault, code, salt))
