"""Closure certificate: a one-page A4 PDF confirming that a line has been closed.

The certificate is drawn straight onto a reportlab canvas rather than through a flowable
layout engine: the layout is fixed, and fleets close lines by the thousand, so the cheapest
drawing path is worth its few explicit coordinates. Every text comes
from the message catalogue in the view's locale, money and dates from Babel, and all text is
set in WenQuanYi Micro Hei so that Chinese names and labels render in either language.

Only masked personal data may reach a certificate: :class:`CertificateView` refuses a number,
name or ID number that carries no mask character.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import get_timezone_gmt
from babel.numbers import is_currency
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from lineclose.certificates.typesetting import (
    ACCENT,
    AMOUNT_COLUMN,
    CONTENT_WIDTH,
    DEFAULT_FONT_PATH,
    FOOTER_Y,
    INK,
    LABEL_COLUMN,
    MARGIN,
    MUTED,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    PANEL,
    PANEL_HEIGHT,
    PANEL_Y,
    QR_SIZE,
    RULE,
    FontNotFoundError,
    draw_qr,
    ellipsize,
    printable,
    printed_width,
    register_font,
    wrap,
)
from lineclose.i18n import (
    Translator,
    format_datetime,
    format_money,
    normalize_locale,
    translator,
)

__all__ = [
    "DEFAULT_FONT_PATH",
    "MASK_CHAR",
    "MAX_CHARGE_LINES",
    "CertificateView",
    "FontNotFoundError",
    "render_certificate",
    "render_many",
]

MASK_CHAR: Final = "*"
# The page has room for this many charge lines; more would spill onto a second page, and a
# certificate is one page by rule.
MAX_CHARGE_LINES: Final = 8
MAX_VERIFY_URL_LENGTH: Final = 120
MAX_VERIFICATION_CODE_LENGTH: Final = 32


# --------------------------------------------------------------------------- the view


@dataclass(frozen=True, slots=True)
class CertificateView:
    """Everything printed on one closure certificate, already masked and ready to show.

    Rules enforced on construction (``ValueError`` otherwise):

    * ``masked_msisdn``, ``masked_holder``, ``masked_id_number`` and, when present,
      ``refund_destination_masked`` contain the mask character ``*``: a full number or ID
      passed by mistake must never be printed;
    * ``closed_at`` is timezone-aware and ``timezone`` is an IANA zone name;
    * ``currency`` is an ISO 4217 code and all amounts are integer minor units;
    * ``total_charges_minor`` equals the sum of the charge lines, and the paid credit and
      refund are not negative;
    * a positive refund names where it goes;
    * at most :data:`MAX_CHARGE_LINES` charge lines, so the certificate stays one page;
    * ``locale`` is a supported locale; ``verify_url`` is an http(s) URL of at most
      :data:`MAX_VERIFY_URL_LENGTH` characters and ``verification_code`` has at most
      :data:`MAX_VERIFICATION_CODE_LENGTH`.

    ``charge_lines`` holds ``(label msgid, minor amount)`` pairs; labels are translated when
    the certificate is drawn.
    """

    operator_name: str
    reference: str
    masked_msisdn: str
    masked_holder: str
    masked_id_number: str
    closed_at: datetime
    timezone: str
    currency: str
    charge_lines: tuple[tuple[str, int], ...]
    total_charges_minor: int
    paid_credit_minor: int
    refund_minor: int
    refund_destination_masked: str | None
    verification_code: str
    verify_url: str
    locale: str
    # Charges the paid credit did not cover: still owed after closure, on the final bill.
    amount_due_minor: int = 0

    def __post_init__(self) -> None:
        for name in ("operator_name", "reference", "verification_code"):
            if not getattr(self, name).strip():
                raise ValueError(f"{name} must not be empty")
        masked = {
            "masked_msisdn": self.masked_msisdn,
            "masked_holder": self.masked_holder,
            "masked_id_number": self.masked_id_number,
        }
        if self.refund_destination_masked is not None:
            masked["refund_destination_masked"] = self.refund_destination_masked
        for name, value in masked.items():
            if MASK_CHAR not in value:
                raise ValueError(
                    f"{name} must be masked (contain {MASK_CHAR!r}); refusing to print it"
                )
        if self.closed_at.tzinfo is None or self.closed_at.utcoffset() is None:
            raise ValueError("closed_at must be timezone-aware")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        if not is_currency(self.currency):
            raise ValueError(f"unknown currency code {self.currency!r}")
        amounts = [amount for _, amount in self.charge_lines]
        amounts += [self.total_charges_minor, self.paid_credit_minor, self.refund_minor]
        if any(isinstance(a, bool) or not isinstance(a, int) for a in amounts):
            raise ValueError("amounts must be integers in minor units")
        if len(self.charge_lines) > MAX_CHARGE_LINES:
            raise ValueError(f"at most {MAX_CHARGE_LINES} charge lines fit on a certificate")
        if sum(amount for _, amount in self.charge_lines) != self.total_charges_minor:
            raise ValueError("total_charges_minor must equal the sum of the charge lines")
        if self.paid_credit_minor < 0 or self.refund_minor < 0:
            raise ValueError("paid credit and refund must not be negative")
        if self.refund_minor > 0 and not self.refund_destination_masked:
            raise ValueError("a refund needs refund_destination_masked")
        if normalize_locale(self.locale) is None:
            raise ValueError(f"unsupported locale {self.locale!r}")
        if not self.verify_url.startswith(("https://", "http://")):
            raise ValueError("verify_url must be an http(s) URL")
        # Both are typed in by hand and the URL is also scanned: beyond these lengths they
        # stop being practical, and the verification panel has room for no more.
        if len(self.verify_url) > MAX_VERIFY_URL_LENGTH:
            raise ValueError(f"verify_url is longer than {MAX_VERIFY_URL_LENGTH} characters")
        if len(self.verification_code) > MAX_VERIFICATION_CODE_LENGTH:
            raise ValueError(
                f"verification_code is longer than {MAX_VERIFICATION_CODE_LENGTH} characters"
            )


class _Page:
    """Cursor-based helpers for drawing top to bottom on one canvas."""

    def __init__(self, canvas: Canvas, font: str) -> None:
        self.canvas = canvas
        self.font = font
        self.y = PAGE_HEIGHT - MARGIN

    def text(
        self, x: float, y: float, text: str, size: float, color: Color = INK, right: bool = False
    ) -> None:
        self.canvas.setFont(self.font, size)
        self.canvas.setFillColor(color)
        if right:
            self.canvas.drawRightString(x, y, printable(text))
        else:
            self.canvas.drawString(x, y, printable(text))

    def rule(self, y: float, color: Color = RULE, width: float = 0.6) -> None:
        self.canvas.setStrokeColor(color)
        self.canvas.setLineWidth(width)
        self.canvas.line(MARGIN, y, PAGE_WIDTH - MARGIN, y)

    def heading(self, text: str, aside: str = "") -> None:
        self.y -= 26
        self.text(MARGIN, self.y, text, 12.5, ACCENT)
        if aside:
            self.text(PAGE_WIDTH - MARGIN, self.y, aside, 9.5, MUTED, right=True)
        self.y -= 8
        self.rule(self.y, ACCENT, 1.0)

    def field(self, label: str, value: str) -> None:
        """A label/value row; long values wrap within the value column."""
        lines = wrap(printable(value), self.font, 10.5, CONTENT_WIDTH - LABEL_COLUMN)
        self.y -= 16
        self.text(MARGIN, self.y, label, 9.5, MUTED)
        for index, line in enumerate(lines):
            if index:
                self.y -= 14
            self.text(MARGIN + LABEL_COLUMN, self.y, line, 10.5)
        self.y -= 6
        self.rule(self.y)

    def amount(self, label: str, value: str, size: float = 10.5, color: Color = INK) -> None:
        """A label/amount row of fixed height; the amount is right-aligned.

        A label too long for its column is shortened with an ellipsis: rows of fixed height
        are what lets :data:`MAX_CHARGE_LINES` rows always fit on the page.
        """
        self.y -= 14 + (size - 10.5)
        self.text(PAGE_WIDTH - MARGIN, self.y, value, size, color, right=True)
        line = ellipsize(printable(label), self.font, size, CONTENT_WIDTH - AMOUNT_COLUMN)
        self.text(MARGIN, self.y, line, size, color)
        self.y -= 6
        self.rule(self.y)


def _draw(canvas: Canvas, view: CertificateView, tr: Translator, font: str) -> None:
    _ = tr.gettext
    locale = view.locale
    page = _Page(canvas, font)

    def money(minor: int) -> str:
        return format_money(minor, view.currency, locale)

    # Header band.
    canvas.setFillColor(ACCENT)
    canvas.rect(0, PAGE_HEIGHT - 10, PAGE_WIDTH, 10, stroke=0, fill=1)
    page.y -= 8
    # The issuing operator heads the page (and signs the footer), so it needs no table row.
    for index, line in enumerate(wrap(printable(view.operator_name), font, 11, CONTENT_WIDTH)):
        if index:
            page.y -= 14
        page.text(MARGIN, page.y, line, 11, MUTED)
    page.y -= 34
    page.text(MARGIN, page.y, _("Line Closure Certificate"), 26, INK)
    page.y -= 10
    statement = _(
        "This certifies that the mobile line below has been permanently closed. "
        "All services on it have ended and it no longer incurs charges."
    )
    for line in wrap(statement, font, 11, CONTENT_WIDTH):
        page.y -= 17
        page.text(MARGIN, page.y, line, 11)

    # Line details.
    page.heading(_("Line details"))
    closed = format_datetime(view.closed_at, view.timezone, locale)
    offset = get_timezone_gmt(
        view.closed_at.astimezone(ZoneInfo(view.timezone)), width="long", locale=locale
    )
    page.field(_("Reference"), view.reference)
    page.field(_("Mobile number"), view.masked_msisdn)
    page.field(_("Account holder"), view.masked_holder)
    page.field(_("ID number"), view.masked_id_number)
    page.field(
        _("Closed at"),
        _("{time} ({offset}, {zone})").format(time=closed, offset=offset, zone=view.timezone),
    )

    # Charges and settlement.
    count = len(view.charge_lines)
    page.heading(
        _("Charges and settlement"),
        tr.ngettext("{count} item", "{count} items", count).format(count=count),
    )
    if view.charge_lines:
        for label, minor in view.charge_lines:
            page.amount(_(label), money(minor))
    else:
        page.amount(_("No charges"), money(0), color=MUTED)
    page.amount(_("Total charges"), money(view.total_charges_minor), size=11.5)
    page.amount(_("Paid credit"), money(view.paid_credit_minor))
    if view.amount_due_minor > 0:
        # Nothing is refunded when charges exceed the credit: these two rows take the place
        # of the refund's, so the page holds as many charge lines as before.
        page.amount(_("Amount still owed"), money(view.amount_due_minor), size=11.5)
        page.field(
            _("How to pay"),
            _("with the final bill, quoting {reference}").format(reference=view.reference),
        )
    else:
        page.amount(_("Refund"), money(view.refund_minor), size=11.5)
        if view.refund_minor > 0 and view.refund_destination_masked:
            page.field(_("Refund destination"), view.refund_destination_masked)
        elif view.refund_minor == 0:
            page.field(_("Refund destination"), _("No refund due"))

    if page.y < PANEL_Y + PANEL_HEIGHT + 8:
        raise ValueError("certificate content does not fit on one page")

    # Verification panel.
    canvas.setFillColor(PANEL)
    canvas.roundRect(MARGIN, PANEL_Y, CONTENT_WIDTH, PANEL_HEIGHT, 6, stroke=0, fill=1)
    qr_x = MARGIN + 15
    qr_y = PANEL_Y + PANEL_HEIGHT - 15 - QR_SIZE
    draw_qr(canvas, view.verify_url, qr_x, qr_y, QR_SIZE)
    caption = _("Scan to verify")
    page.text(qr_x + (QR_SIZE - printed_width(caption, font, 8)) / 2, qr_y - 10, caption, 8, MUTED)
    text_x = qr_x + QR_SIZE + 24
    text_width = MARGIN + CONTENT_WIDTH - 16 - text_x
    top = PANEL_Y + PANEL_HEIGHT - 30
    page.text(text_x, top, _("Verification code"), 10, MUTED)
    # The code is what people type in: never shortened, only set smaller if it is long.
    code_size = 24.0
    while code_size > 12 and printed_width(view.verification_code, font, code_size) > text_width:
        code_size -= 1
    page.text(text_x, top - 32, view.verification_code, code_size, ACCENT)
    verify = _("Verify this certificate at {url} or scan the QR code.").format(url=view.verify_url)
    line_y = top - 58
    for line in wrap(verify, font, 9.5, text_width):
        page.text(text_x, line_y, line, 9.5, INK)
        line_y -= 14

    # Footer.
    page.rule(FOOTER_Y + 14)
    note = _("Personal details are partly masked to protect privacy.")
    page.text(MARGIN, FOOTER_Y, note, 8.5, MUTED)
    issued = _("Issued by {operator}").format(operator=view.operator_name)
    note_width = printed_width(note, font, 8.5)
    if note_width + 24 + printed_width(issued, font, 8.5) <= CONTENT_WIDTH:
        page.text(PAGE_WIDTH - MARGIN, FOOTER_Y, issued, 8.5, MUTED, right=True)
    else:
        # A long operator name gets its own footer line rather than overprinting the note.
        page.text(MARGIN, FOOTER_Y - 12, ellipsize(issued, font, 8.5, CONTENT_WIDTH), 8.5, MUTED)


# --------------------------------------------------------------------------- rendering


def render_certificate(
    view: CertificateView, *, font_path: Path | str = DEFAULT_FONT_PATH
) -> bytes:
    """Return ``view`` drawn as a one-page A4 PDF in the view's language.

    Raises :class:`FontNotFoundError` (naming the Debian package) when the font is missing.
    """
    font = register_font(Path(font_path))
    tr = translator(view.locale)
    buffer = io.BytesIO()
    # Starting in the embedded font keeps the page from referencing Helvetica, a font the
    # certificate never uses and would not embed.
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=font)
    canvas.setTitle(f"{tr.gettext('Line Closure Certificate')} {view.reference}")
    canvas.setAuthor(view.operator_name)
    canvas.setSubject(view.reference)
    canvas.setCreator("Lineclose")
    _draw(canvas, view, tr, font)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def render_many(
    views: Iterable[CertificateView], *, font_path: Path | str = DEFAULT_FONT_PATH
) -> Iterator[bytes]:
    """Yield one PDF per view, in order, lazily so a fleet run never holds all of them.

    The font is registered before the first view is drawn and reused for all of them.
    """
    path = Path(font_path)
    register_font(path)
    for view in views:
        yield render_certificate(view, font_path=path)
