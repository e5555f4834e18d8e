"""Closure certificates: the document a customer keeps as proof that a line was closed."""

from lineclose.certificates.pdf import (
    DEFAULT_FONT_PATH,
    MASK_CHAR,
    MAX_CHARGE_LINES,
    CertificateView,
    FontNotFoundError,
    render_certificate,
    render_many,
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
