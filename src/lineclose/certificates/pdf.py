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

import functools
import io
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import qrcode
import qrcode.constants
from babel.dates import get_timezone_gmt
from babel.numbers import is_currency
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

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

DEFAULT_FONT_PATH: Final = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT_PACKAGE: Final = "fonts-wqy-microhei"
MASK_CHAR: Final = "*"
# The page has room for this many charge lines; more would spill onto a second page, and a
# certificate is one page by rule.
MAX_CHARGE_LINES: Final = 8
MAX_VERIFY_URL_LENGTH: Final = 120
MAX_VERIFICATION_CODE_LENGTH: Final = 32


class FontNotFoundError(FileNotFoundError):
    """The CJK font needed to draw certificates is not installed."""


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


# --------------------------------------------------------------------------- font

_fonts: dict[Path, str] = {}
_fonts_lock = threading.Lock()


def _font(font_path: Path) -> str:
    """Register the font at ``font_path`` once per process and return its reportlab name.

    Parsing the 5 MB TrueType collection takes a noticeable fraction of a second, so it is
    done once and shared by every certificate the process draws.
    """
    name = _fonts.get(font_path)
    if name is not None:
        return name
    with _fonts_lock:
        name = _fonts.get(font_path)
        if name is None:
            if not font_path.is_file():
                raise FontNotFoundError(
                    f"certificate font not found at {font_path}; install the Debian package "
                    f"{FONT_PACKAGE} (apt-get install {FONT_PACKAGE}) or pass font_path"
                )
            name = f"LinecloseCJK{len(_fonts)}"
            # Index 0 of wqy-microhei.ttc is the proportional face; 1 is its monospaced twin.
            pdfmetrics.registerFont(TTFont(name, str(font_path), subfontIndex=0))
            _fonts[font_path] = name
        return name


# Babel puts narrow no-break spaces in English times ("7:09 AM"); the font has no glyph for
# them, so they would print as empty boxes. A plain no-break space looks the same.
_UNPRINTABLE: Final = str.maketrans({"\u202f": "\u00a0", "\u2007": "\u00a0"})


def _clean(text: str) -> str:
    return text.translate(_UNPRINTABLE)


# --------------------------------------------------------------------------- drawing

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN: Final = 56.0
CONTENT_WIDTH: Final = PAGE_WIDTH - 2 * MARGIN
LABEL_COLUMN: Final = 150.0
AMOUNT_COLUMN: Final = 130.0
# The verification panel and footer sit at fixed heights so every certificate looks alike;
# the flowing content above must end above the panel.
FOOTER_Y: Final = 40.0
PANEL_Y: Final = 66.0
PANEL_HEIGHT: Final = 146.0
QR_SIZE: Final = 116.0

INK: Final = HexColor("#1B1F24")
MUTED: Final = HexColor("#5B6470")
RULE: Final = HexColor("#D5DAE0")
ACCENT: Final = HexColor("#0B5D6B")
PANEL: Final = HexColor("#F3F6F8")


@functools.lru_cache(maxsize=8192)
def _char_width(char: str, font: str) -> float:
    """Advance width of ``char`` at 1 pt; cached because wrapping asks for it constantly."""
    return float(pdfmetrics.stringWidth(char, font, 1))


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width``.

    Latin text breaks at spaces; Chinese has no spaces, so a line may break between any two
    characters, which is also how Chinese typesetting does it. Widths are summed per
    character (the font is set without kerning), so wrapping stays linear in the text length.
    """
    limit = width / size
    lines: list[str] = []
    line = ""
    line_width = 0.0
    for char in text:
        advance = _char_width(char, font)
        if line_width + advance <= limit or not line:
            line += char
            line_width += advance
            continue
        cut = line.rfind(" ")
        if char != " " and cut > 0:
            lines.append(line[:cut])
            line = line[cut + 1 :] + char
        else:
            lines.append(line.rstrip())
            line = char.lstrip()
        line_width = sum(_char_width(c, font) for c in line)
    if line:
        lines.append(line)
    return lines


def _ellipsize(text: str, font: str, size: float, width: float) -> str:
    """Return ``text`` if it fits in ``width``, else its longest prefix that fits with "…"."""
    limit = width / size
    if sum(_char_width(c, font) for c in text) <= limit:
        return text
    limit -= _char_width("…", font)
    used = 0.0
    for index, char in enumerate(text):
        used += _char_width(char, font)
        if used > limit:
            return text[:index].rstrip() + "…"
    return text


def _draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """Draw ``data`` as a vector QR code with its lower-left corner at ``(x, y)``.

    The ``qrcode`` package only computes the module matrix; the modules are drawn as one
    filled path of horizontal runs, which is sharper and much cheaper than embedding a
    bitmap, and filling a single path leaves no hairline seams between modules.
    """
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    count = len(matrix)
    canvas.saveState()
    # Work in module units with the origin at the top-left module: every coordinate is then
    # a small integer, which keeps the content stream short and cheap to format.
    canvas.translate(x, y + size)
    canvas.scale(size / count, -size / count)
    canvas.setFillColor(white)
    canvas.rect(0, 0, count, count, stroke=0, fill=1)
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        start: int | None = None
        for col, dark in enumerate([*row, False]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                path.rect(start, row_index, col - start, 1)
                start = None
    canvas.setFillColor(INK)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


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
            self.canvas.drawRightString(x, y, _clean(text))
        else:
            self.canvas.drawString(x, y, _clean(text))

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
        lines = _wrap(_clean(value), self.font, 10.5, CONTENT_WIDTH - LABEL_COLUMN)
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
        line = _ellipsize(_clean(label), self.font, size, CONTENT_WIDTH - AMOUNT_COLUMN)
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
    for index, line in enumerate(_wrap(_clean(view.operator_name), font, 11, CONTENT_WIDTH)):
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
    for line in _wrap(statement, font, 11, CONTENT_WIDTH):
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
    _draw_qr(canvas, view.verify_url, qr_x, qr_y, QR_SIZE)
    caption = _("Scan to verify")
    page.text(qr_x + (QR_SIZE - _text_width(caption, font, 8)) / 2, qr_y - 10, caption, 8, MUTED)
    text_x = qr_x + QR_SIZE + 24
    text_width = MARGIN + CONTENT_WIDTH - 16 - text_x
    top = PANEL_Y + PANEL_HEIGHT - 30
    page.text(text_x, top, _("Verification code"), 10, MUTED)
    # The code is what people type in: never shortened, only set smaller if it is long.
    code_size = 24.0
    while code_size > 12 and _text_width(view.verification_code, font, code_size) > text_width:
        code_size -= 1
    page.text(text_x, top - 32, view.verification_code, code_size, ACCENT)
    verify = _("Verify this certificate at {url} or scan the QR code.").format(url=view.verify_url)
    line_y = top - 58
    for line in _wrap(verify, font, 9.5, text_width):
        page.text(text_x, line_y, line, 9.5, INK)
        line_y -= 14

    # Footer.
    page.rule(FOOTER_Y + 14)
    note = _("Personal details are partly masked to protect privacy.")
    page.text(MARGIN, FOOTER_Y, note, 8.5, MUTED)
    issued = _("Issued by {operator}").format(operator=view.operator_name)
    note_width = _text_width(note, font, 8.5)
    if note_width + 24 + _text_width(issued, font, 8.5) <= CONTENT_WIDTH:
        page.text(PAGE_WIDTH - MARGIN, FOOTER_Y, issued, 8.5, MUTED, right=True)
    else:
        # A long operator name gets its own footer line rather than overprinting the note.
        page.text(MARGIN, FOOTER_Y - 12, _ellipsize(issued, font, 8.5, CONTENT_WIDTH), 8.5, MUTED)


def _text_width(text: str, font: str, size: float) -> float:
    """Width of ``text`` in points as it will be printed."""
    return float(pdfmetrics.stringWidth(_clean(text), font, size))


# --------------------------------------------------------------------------- rendering


def render_certificate(
    view: CertificateView, *, font_path: Path | str = DEFAULT_FONT_PATH
) -> bytes:
    """Return ``view`` drawn as a one-page A4 PDF in the view's language.

    Raises :class:`FontNotFoundError` (naming the Debian package) when the font is missing.
    """
    font = _font(Path(font_path))
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
    _font(path)
    for view in views:
        yield render_certificate(view, font_path=path)
