"""The pages under the Content-Security-Policy, in a real browser: the stylesheet applies and the
browser reports no violation (a blocked style or resource would show as one)."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Live, new_page
from tests.e2e.test_identity_pages import staff_sign_in


def test_pages_render_styled_with_no_policy_violation(browser: Any, live: Live) -> None:
    page = new_page(browser, "en")
    reports: list[str] = []
    page.on("console", lambda message: reports.append(message.text))
    for path in ("/portal", "/verify", "/help"):
        response = page.goto(f"{live.url}{path}")
        assert response is not None
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        # lineclose.css sets system fonts on the body: unstyled would be the browser's serif.
        font = page.evaluate("getComputedStyle(document.body).fontFamily")
        assert "system-ui" in font, (path, font)
    staff_sign_in(page, live, live.tokens["reviewer"])
    assert "system-ui" in page.evaluate("getComputedStyle(document.body).fontFamily")
    violations = [r for r in reports if "Content Security Policy" in r]
    assert violations == []
    page.context.close()
