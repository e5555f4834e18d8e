"""What every page shares: the language, CSRF tokens, cookies, formatting helpers and rendering.

Rules:
- The language is the `lang` cookie (set by the switch), else the browser's Accept-Language,
  else the locale of the operator profile the page is about, else Simplified Chinese.
- Every POST form carries a CSRF token bound to the browser (`lc_csrf` cookie) and to the
  signed-in session, so a token from before sign-in or another session is refused.
- Cookies holding sign-in tokens are HttpOnly, SameSite=Lax, and Secure when served over https.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from lineclose.errors import LinecloseError, RateLimited
from lineclose.i18n import (
    SUPPORTED_LOCALES,
    format_date,
    format_datetime_with_zone,
    format_money,
    negotiate_locale,
    translator,
)
from lineclose.services import closure
from lineclose.services import limiter as ratelimits
from lineclose.services.context import Deps
from lineclose.services.identity import IdentityEvidence
from lineclose.services.unit_of_work import Session
from lineclose.web.api.deps import client_address
from lineclose.web.pages.views import LABELS

WEB_DIR = Path(__file__).resolve().parent.parent
templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))

LANG_COOKIE = "lang"
CSRF_COOKIE = "lc_csrf"
SUBSCRIBER_COOKIE = "lc_session"
CHALLENGE_COOKIE = "lc_challenge"
RESET_COOKIE = "lc_reset"
STAFF_COOKIE = "lc_staff"
DEFAULT_LOCALE = "zh_CN"
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}

# Error codes the pages explain in the reader's language; anything else shows the service's
# own message through the catalogue (English when it has no translation).
ERROR_TEXT: dict[str, str] = {
    "invalid_msisdn": "Enter a mobile number with its country code, such as +8613800138000.",
    "unknown_line": "We could not find a line with this number.",
    "line_closed": "This line is already closed.",
    "line_reported_lost": (
        "This line is reported lost, so no code can be sent to it. "
        "Visit a store with your ID document."
    ),
    "code_invalid": "The code is wrong. Check the SMS and try again.",
    "code_expired": "The code has expired or was already used. Ask for a new one.",
    "too_many_attempts": "Too many wrong codes. Ask for a new one.",
    "invalid_refund_account": (
        "The refund account is not valid: enter an IBAN or a bank account number of 8 to 34 digits."
    ),
    "refund_account_required": "This line has a balance to refund: enter a refund account.",
    "invalid_alternate_contact": (
        "Enter another phone number or an e-mail address where we can reach you "
        "after the line is closed."
    ),
    "open_request_exists": "This line already has an open closure request.",
    "identity_check_failed": "The identity check failed: the details do not match the holder's.",
    "csrf_failed": "The form has expired. Please try again.",
    "unauthenticated": "Please sign in.",
    "not_your_line": "This line is not yours.",
    "transition_not_allowed": "This can no longer be done for this request.",
    "four_eyes_required": "A reviewer cannot approve a request they submitted.",
    "reviewer_only": "Only a reviewer can decide a closure request.",
    "blockers_present": "The request cannot be approved while blockers remain.",
    "reason_required": "Choose at least one reason.",
    "bill_already_paid": "This bill is already paid.",
    "staff_token_invalid": "This staff token is unknown or revoked.",
    "date_in_past": "Choose today or a later date.",
    "not_dead": "This step is no longer in the dead letters.",
    "unknown_certificate": "No certificate has this verification code.",
    "unknown_request": "No closure request has this reference.",
    "staff_only": "Only staff can do this.",
    "forbidden": "You are not allowed to do this.",
    "other_operator": "This line belongs to another operator.",
    "no_contract": "This line has no contract term to wait for.",
    "confirm_required": "Tick the box to confirm that you want to close this line.",
    "unknown_bill": "This bill is not on this line.",
    "unknown_binding": "This service is not bound to this line.",
    "weak_password": (
        "Choose a service password of 6 to 64 characters that is not one repeated character "
        "or a run such as 123456."
    ),
    "passwords_differ": "The two new passwords are not the same. Type them again.",
    "line_code_required": (
        "To set a first service password, sign in with a code sent to the line itself."
    ),
    "second_approver_required": (
        "You already gave the first approval: a different reviewer must give the second."
    ),
    "supervisor_only": "Only a supervisor can assign a review.",
    "not_escalated": "Only escalated reviews can be assigned.",
    "reviewer_required": "Name the reviewer who takes over this review.",
    "id_document_required": "Look at the holder's ID document and tick the box to confirm it.",
    "document_kind_required": "Say which ID document you looked at.",
}

# A refusal for calling too often says how long to wait; the lock-out after wrong codes says why.
RATE_LIMIT_TEXT: dict[str, str] = {
    "line_locked": "Too many wrong codes were entered for this line, so it is locked for a while.",
}
RATE_LIMIT_DEFAULT = "Too many attempts in a short time."


@dataclass
class Page:
    """Per-request page state: language, translator, CSRF seed, and cookies to set."""

    request: Request
    locale: str
    csrf_seed: str
    new_seed: bool
    session_token: str = ""
    cookies: list[tuple[str, str, int | None]] = field(default_factory=list)
    retry_after: int | None = None

    @property
    def _(self) -> Callable[[str], str]:
        return translator(self.locale).gettext

    def t(self, msgid: str, **values: Any) -> str:
        text = translator(self.locale).gettext(msgid)
        return text.format(**values) if values else text

    def error_text(self, exc: LinecloseError) -> str:
        """The refusal in the reader's language; a rate limit also says how long to wait and
        sends Retry-After with the page that shows it."""
        if isinstance(exc, RateLimited):
            self.retry_after = exc.retry_after
            lead = self.t(RATE_LIMIT_TEXT.get(exc.code, RATE_LIMIT_DEFAULT))
            wait = self.t("Please wait {wait} and try again.", wait=self.wait(exc.retry_after))
            return f"{lead} {wait}"
        msgid = ERROR_TEXT.get(exc.code)
        return self.t(msgid) if msgid else self.t(exc.message)

    def wait(self, seconds: int) -> str:
        """Under a minute in seconds, otherwise in whole minutes rounded up."""
        words = translator(self.locale)
        if seconds < 60:
            return words.ngettext("{count} second", "{count} seconds", seconds).format(
                count=seconds
            )
        minutes = -(-seconds // 60)
        return words.ngettext("{count} minute", "{count} minutes", minutes).format(count=minutes)

    @property
    def csrf(self) -> str:
        return csrf_token(self.csrf_seed, self.session_token)

    def check_csrf(self, given: str) -> None:
        if not given or not hmac.compare_digest(given, self.csrf):
            raise LinecloseError("csrf check failed", code="csrf_failed")

    def money(self, minor: int | None, currency: str) -> str:
        return format_money(int(minor or 0), currency, self.locale)

    def day(self, value: date | str | None) -> str:
        if value is None or value == "":
            return ""
        parsed = date.fromisoformat(value) if isinstance(value, str) else value
        return format_date(parsed, self.locale)

    def when(self, value: datetime | str | None, tz: str = "Asia/Shanghai") -> str:
        if value is None or value == "":
            return ""
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
        # A time without its zone is ambiguous for staff and subscribers in other zones.
        return format_datetime_with_zone(parsed, tz, self.locale)

    def tn(self, singular: str, plural: str, count: int, **values: Any) -> str:
        """A counted text with the language's own plural rule (Babel's plural forms)."""
        text = translator(self.locale).ngettext(singular, plural, count)
        return text.format(count=count, **values)

    def render(
        self, template: str, context: dict[str, Any] | Any, status_code: int = 200
    ) -> HTMLResponse:
        """Render a template with a typed page model (its fields become template names and the
        model itself is `page`, for tests) or a plain context."""
        shown: dict[str, Any]
        if isinstance(context, dict):
            shown = context
        elif is_dataclass(context) and not isinstance(context, type):
            shown = {f.name: getattr(context, f.name) for f in fields(context)}
            shown["page"] = context
        else:
            raise TypeError(f"a page model is a dataclass, not {type(context).__name__}")
        path = self.request.url.path
        switch = {
            code: f"/lang/{code}?next={quote(path_with_query(self.request), safe='')}"
            for code in SUPPORTED_LOCALES
        }
        response = templates.TemplateResponse(
            self.request,
            template,
            {
                "_": self._,
                "t": self.t,
                "money": self.money,
                "day": self.day,
                "when": self.when,
                "tn": self.tn,
                "locale": self.locale,
                "html_lang": "zh-Hans" if self.locale == "zh_CN" else "en",
                "languages": LANGUAGE_NAMES,
                "switch": switch,
                "csrf": self.csrf,
                "path": path,
                "labels": LABELS,
                **shown,
            },
            status_code=status_code,
        )
        if self.retry_after is not None and status_code == 429:
            response.headers["Retry-After"] = str(self.retry_after)
        self.apply_cookies(response)
        return response

    def redirect(self, url: str) -> RedirectResponse:
        response = RedirectResponse(url, status_code=303)
        self.apply_cookies(response)
        return response

    def set_cookie(self, name: str, value: str, max_age: int | None = None) -> None:
        self.cookies.append((name, value, max_age))

    def apply_cookies(self, response: Response) -> None:
        secure = self.request.url.scheme == "https"
        if self.new_seed:
            response.set_cookie(
                CSRF_COOKIE, self.csrf_seed, httponly=True, samesite="lax", secure=secure
            )
        for name, value, max_age in self.cookies:
            if value:
                response.set_cookie(
                    name, value, max_age=max_age, httponly=True, samesite="lax", secure=secure
                )
            else:
                response.delete_cookie(name, httponly=True, samesite="lax", secure=secure)


def count_client_call(
    session: Session, deps: Deps, request: Request, limit: ratelimits.Limit
) -> None:
    """Count a public form post against the caller's address before it changes anything, as the
    API does: the count is committed even when the post is refused later."""
    ratelimits.consume(session, deps, limit, client_address(request))


def checklist_choices(accept_etf: str, term_end: str, ack: list[str] | None) -> dict[str, Any]:
    """The checklist choices as posted: pay the early-termination fee, close at the end of the
    term, and the bound services the holder leaves bound knowingly."""
    return {
        "accept_etf": accept_etf == "1",
        "term_end": term_end == "1",
        "ack": sorted({int(a) for a in ack or [] if a.isdigit()}),
    }


def closure_input(
    choices: dict[str, Any],
    refund_account: str,
    alternate_contact: str,
    identity: tuple[IdentityEvidence, ...] = (),
) -> closure.ClosureInput:
    """A submission from the checklist choices; closing at the end of the term means no
    early-termination fee is paid."""
    return closure.ClosureInput(
        refund_account=refund_account.strip() or None,
        alternate_contact=alternate_contact.strip() or None,
        acknowledged_bindings=tuple(choices["ack"]),
        accept_etf=choices["accept_etf"] and not choices["term_end"],
        schedule_at_term_end=choices["term_end"],
        identity=identity,
    )


def csrf_token(seed: str, session_token: str) -> str:
    return hmac.new(seed.encode(), f"form:{session_token}".encode(), hashlib.sha256).hexdigest()


def path_with_query(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would let a phishing link borrow our name."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def page(
    request: Request,
    profile_locale: str | None = None,
    session_token: str = "",
    stored_locale: str | None = None,
) -> Page:
    """The page in the reader's language: the subscriber's stored choice, else this browser's
    switch, else the browser's languages, else the operator's default."""
    chosen = negotiate_locale(
        request.headers.get("accept-language"),
        stored_locale or request.cookies.get(LANG_COOKIE),
        profile_locale if profile_locale in SUPPORTED_LOCALES else DEFAULT_LOCALE,
    )
    seed = request.cookies.get(CSRF_COOKIE) or ""
    new_seed = len(seed) < 32
    if new_seed:
        seed = secrets.token_urlsafe(32)
    return Page(request, chosen, seed, new_seed, session_token)
