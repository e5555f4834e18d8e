"""Typesetting for the certificate: the CJK font, page geometry and colours, wrapping and
ellipsizing mixed Chinese and Latin text, and the vector QR code."""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Final

import qrcode
import qrcode.constants
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

DEFAULT_FONT_PATH: Final = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT_PACKAGE: Final = "fonts-wqy-microhei"


class FontNotFoundError(FileNotFoundError):
    """The CJK font needed to draw certificates is not installed."""


# --------------------------------------------------------------------------- font

_fonts: dict[Path, str] = {}
_fonts_lock = threading.Lock()


def register_font(font_path: Path) -> str:
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


def printable(text: str) -> str:
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
def char_width(char: str, font: str) -> float:
    """Advance width of ``char`` at 1 pt; cached because wrapping asks for it constantly."""
    return float(pdfmetrics.stringWidth(char, font, 1))


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
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
        advance = char_width(char, font)
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
        line_width = sum(char_width(c, font) for c in line)
    if line:
        lines.append(line)
    return lines


def ellipsize(text: str, font: str, size: float, width: float) -> str:
    """Return ``text`` if it fits in ``width``, else its longest prefix that fits with "…"."""
    limit = width / size
    if sum(char_width(c, font) for c in text) <= limit:
        return text
    limit -= char_width("…", font)
    used = 0.0
    for index, char in enumerate(text):
        used += char_width(char, font)
        if used > limit:
            return text[:index].rstrip() + "…"
    return text


def draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
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


def printed_width(text: str, font: str, size: float) -> float:
    """Width of ``text`` in points as it will be printed."""
    return float(pdfmetrics.stringWidth(printable(text), font, size))
