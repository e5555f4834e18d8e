"""What production mode refuses to start with: the demo's gateways.

The console SMS and e-mail gateways print every message, one-time codes included, to the log of
the process: right for `make demo` on a laptop, a hole anywhere else. The fakes keep messages in
memory and send nothing. Production mode therefore refuses both at start-up, with the setting to
change, rather than running with codes in its logs; and the portal shows its demo note only when
the console SMS gateway is in use, so it never shows in production.
"""

from __future__ import annotations

from lineclose.config import Settings


class UnsafeConfiguration(Exception):
    """Settings that must not run in production; the message names each setting to change."""


def demo_only_settings(settings: Settings) -> list[str]:
    """Each demo-only choice in `settings`, as `LINECLOSE_<NAME>=<value>`."""
    found: list[str] = []
    if settings.sms_backend in ("console", "fake"):
        found.append(f"LINECLOSE_SMS_BACKEND={settings.sms_backend}")
    if settings.email_backend in ("console", "fake"):
        found.append(f"LINECLOSE_EMAIL_BACKEND={settings.email_backend}")
    if settings.hlr_backend == "fake":
        found.append("LINECLOSE_HLR_BACKEND=fake")
    return found


def check_production(settings: Settings) -> None:
    """Refuse demo gateways when `settings.production` is on; do nothing otherwise."""
    if not settings.production:
        return
    found = demo_only_settings(settings)
    if found:
        raise UnsafeConfiguration(
            "production mode refuses demo gateways that print or drop messages: "
            + ", ".join(found)
            + " (use sms_backend=kannel, email_backend=smtp)"
        )
