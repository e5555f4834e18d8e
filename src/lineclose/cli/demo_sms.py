"""What the demo banner says about texting the demo: its inbound URL and a phone to play."""

from __future__ import annotations

import os
import secrets

from rich.console import Console

from lineclose.services.demo_channels import DEMO_SHORT_CODES

SECRET_VARIABLE = "LINECLOSE_SMS_CALLBACK_SECRET"


def ensure_callback_secret() -> str:
    """The demo accepts texts: without a configured secret it makes one for this run."""
    secret = os.environ.get(SECRET_VARIABLE) or secrets.token_urlsafe(12)
    os.environ[SECRET_VARIABLE] = secret
    return secret


def print_banner(console: Console, base: str, secret: str) -> None:
    url = f"{base}/api/v1/sms/inbound?secret={secret}"
    console.print("\nTexts (the demo's SMS gateway; replies are printed here like every SMS):")
    console.print(f"Inbound URL (Kannel's get-url): {url}", soft_wrap=True, markup=False)
    code = DEMO_SHORT_CODES["demo-cn"]
    for sender, text in (("+8613800138001", "INFO"), ("+8613800138003", "注销")):
        console.print(
            f"curl -s -G '{url}' --data-urlencode 'sender={sender}' "
            f"--data-urlencode 'receiver={code}' --data-urlencode 'text={text}'",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )
