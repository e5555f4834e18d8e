"""Closure certificate PDF: content, language, masking, rendering and the QR code."""

from __future__ import annotations

import ast
import dataclasses
import os
import re
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from PIL import Image

import lineclose.certificates.pdf as pdf_module
from lineclose.certificates import (
    DEFAULT_FONT_PATH,
    MAX_CHARGE_LINES,
    CertificateView,
    FontNotFoundError,
    render_certificate,
    render_many,
)
from lineclose.i18n import LOCALE_DIR

needs_font = pytest.mark.skipif(
    not DEFAULT_FONT_PATH.is_file(),
    reason=f"{DEFAULT_FONT_PATH} missing: apt-get install fonts-wqy-microhei",
)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not found: apt-get install poppler-utils to check rendered PDFs")
    return path


def _view(**changes: Any) -> CertificateView:
    values: dict[str, Any] = {
        "operator_name": "中国移动通信集团北京有限公司",
        "reference": "LC-2025-000123",
        "masked_msisdn": "138****5678",
        "masked_holder": "张*明",
        "masked_id_number": "110***********1234",
        "closed_at": datetime(2025, 3, 14, 7, 9, 26, tzinfo=UTC),
        "timezone": "Asia/Shanghai",
        "currency": "CNY",
        "charge_lines": (("Usage this month", 3850), ("Prorated monthly fee", 1290)),
        "total_charges_minor": 5140,
        "paid_credit_minor": 12000,
        "refund_minor": 6860,
        "refund_destination_masked": "支付宝 138****5678",
        "verification_code": "7KQ4-MX2P-9D",
        "verify_url": "https://verify.example.com/c/7KQ4MX2P9D",
        "locale": "zh_CN",
    }
    values.update(changes)
    return CertificateView(**values)


def _english(**changes: Any) -> CertificateView:
    base: dict[str, Any] = {
        "operator_name": "Albion Mobile Ltd",
        "masked_holder": "J*** S****",
        "timezone": "Europe/London",
        "currency": "GBP",
        "refund_destination_masked": "Card ending ****4321",
        "locale": "en",
    }
    base.update(changes)
    return _view(**base)


def _run(tool: str, pdf: bytes, *args: str) -> bytes:
    """Run a poppler tool on ``pdf`` (from a file: not every tool reads standard input)."""
    executable = _tool(tool)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "certificate.pdf"
        path.write_bytes(pdf)
        result = subprocess.run([executable, *args, str(path)], capture_output=True, check=True)
    return result.stdout


def _text(pdf: bytes) -> str:
    return subprocess.run(
        [_tool("pdftotext"), "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")


def _info(pdf: bytes) -> str:
    return _run("pdfinfo", pdf).decode()


def _png(pdf: bytes, dpi: int = 100) -> Image.Image:
    executable = _tool("pdftoppm")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "certificate.pdf"
        source.write_bytes(pdf)
        target = Path(folder) / "page"
        subprocess.run(
            [executable, "-png", "-r", str(dpi), "-singlefile", str(source), str(target)],
            capture_output=True,
            check=True,
        )
        image = Image.open(target.with_suffix(".png"))
        image.load()
    return image


# --------------------------------------------------------------------------- the view


@pytest.mark.parametrize(
    ("field", "unmasked"),
    [
        ("masked_msisdn", "13812345678"),
        ("masked_id_number", "110101199003071234"),
        ("masked_holder", "张三明"),
        ("refund_destination_masked", "6222021234567891234"),
    ],
)
def test_unmasked_personal_data_is_refused(field: str, unmasked: str) -> None:
    with pytest.raises(ValueError, match=field):
        _view(**{field: unmasked})


def test_view_is_frozen() -> None:
    view = _view()
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.reference = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"closed_at": datetime(2025, 3, 14, 7, 9)}, "timezone-aware"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"currency": "XYZ"}, "currency"),
        ({"total_charges_minor": 1}, "sum of the charge lines"),
        ({"refund_destination_masked": None}, "refund_destination_masked"),
        ({"refund_minor": -1}, "negative"),
        ({"locale": "fr"}, "locale"),
        ({"verify_url": "javascript:alert(1)"}, "http"),
        ({"verification_code": " "}, "verification_code"),
        ({"verification_code": "X" * 33}, "verification_code"),
        ({"verify_url": "https://verify.example.com/" + "x" * 100}, "verify_url"),
        ({"charge_lines": (("Usage this month", 12.5),), "total_charges_minor": 12}, "integer"),
        (
            {
                "charge_lines": (("Usage this month", 1),) * (MAX_CHARGE_LINES + 1),
                "total_charges_minor": MAX_CHARGE_LINES + 1,
            },
            "charge lines",
        ),
    ],
)
def test_inconsistent_views_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _view(**changes)


def test_no_refund_needs_no_destination() -> None:
    view = _view(paid_credit_minor=0, refund_minor=0, refund_destination_masked=None)
    assert view.refund_destination_masked is None


# --------------------------------------------------------------------------- the PDF


@needs_font
def test_pdf_is_one_a4_page() -> None:
    pdf = render_certificate(_view())
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    info = _info(pdf)
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE)
    assert "595.276 x 841.89 pts (A4)" in info


@needs_font
def test_chinese_certificate_text() -> None:
    text = _text(render_certificate(_view()))
    for expected in (
        "LC-2025-000123",
        "138****5678",
        "110***********1234",
        "张*明",
        "7KQ4-MX2P-9D",
        "号码注销证明",
        "手机号码",
        "证件号码",
        "注销时间",
        "核验码",
        "本月已用费用",
        "¥51.40",  # total charges
        "¥68.60",  # refund
        "2025年3月14日 15:09:26",  # closing time shown in Beijing time
    ):
        assert expected in text, expected
    assert "Line Closure Certificate" not in text


@needs_font
def test_english_certificate_text() -> None:
    text = _text(render_certificate(_english()))
    for expected in (
        "LC-2025-000123",
        "138****5678",
        "7KQ4-MX2P-9D",
        "Line Closure Certificate",
        "Mobile number",
        "Verification code",
        "Usage this month",
        "£51.40",
        "£68.60",
        "Europe/London",
    ):
        assert expected in text, expected
    assert "号码注销证明" not in text


@needs_font
def test_chinese_name_on_an_english_certificate() -> None:
    text = _text(render_certificate(_english(masked_holder="欧阳**")))
    assert "欧阳**" in text


@needs_font
def test_unmasked_values_never_reach_the_page() -> None:
    text = _text(render_certificate(_view()))
    assert "13812345678" not in text.replace(" ", "")


@needs_font
def test_fullest_certificate_still_fits_on_one_page() -> None:
    lines = tuple(
        ("Roaming data charges for the final billing period, itemised on the last invoice", 100)
        for _ in range(MAX_CHARGE_LINES)
    )
    view = _english(
        operator_name="Albion Mobile Telecommunications Group plc, Enterprise and IoT Division "
        "(Northern Region)",
        charge_lines=lines,
        total_charges_minor=100 * MAX_CHARGE_LINES,
        paid_credit_minor=99_999_999,
        refund_minor=99_999_999 - 100 * MAX_CHARGE_LINES,
        refund_destination_masked="Bank account ****1234 held at a bank with a long name",
        timezone="America/Argentina/Buenos_Aires",
        verification_code="7KQ4-MX2P-9D7K-Q4MX-2P9D-7KQ4-MX",
        verify_url="https://verify.example.com/certificates/verify?" + "c" * 73,
    )
    assert len(view.verify_url) == 120 and len(view.verification_code) == 32
    pdf = render_certificate(view)
    assert re.search(r"^Pages:\s+1$", _info(pdf), re.MULTILINE)
    text = _text(pdf)
    assert "Roaming data charges for the final billing period" in text
    assert "…" in text  # over-long charge labels are shortened, not spilled
    assert view.verification_code in text  # the code is never shortened
    if os.environ.get("LINECLOSE_KEEP_RENDER"):
        Path(os.environ["LINECLOSE_KEEP_RENDER"]).write_bytes(pdf)


@needs_font
def test_fonts_are_embedded() -> None:
    result = _run("pdffonts", render_certificate(_view())).decode()
    rows = result.splitlines()[2:]
    assert rows
    assert all(" yes " in row for row in rows), result


@needs_font
@pytest.mark.parametrize("view", [_view(), _english()], ids=["zh_CN", "en"])
def test_rendered_page_is_not_blank(view: CertificateView) -> None:
    image = _png(render_certificate(view), dpi=50).convert("L")
    assert abs(image.width - 413) <= 1 and abs(image.height - 585) <= 1  # A4 at 50 dpi
    histogram = image.histogram()
    dark = sum(histogram[:128])
    assert dark > 0.02 * image.width * image.height  # text, rules and the QR code


@needs_font
@pytest.mark.parametrize("view", [_view(), _english()], ids=["zh_CN", "en"])
def test_qr_code_decodes_to_the_verify_url(view: CertificateView) -> None:
    try:
        from pyzbar import pyzbar  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except (ImportError, OSError):
        pytest.skip("no QR decoder: pip install pyzbar and apt-get install libzbar0")
    image = _png(render_certificate(view), dpi=150)
    decoded = [symbol.data.decode() for symbol in pyzbar.decode(image)]
    assert decoded == [view.verify_url]


@needs_font
def test_render_many_yields_one_pdf_per_view_in_order() -> None:
    views = [_view(reference=f"LC-2025-{i:06d}") for i in range(3)]
    texts = [_text(pdf) for pdf in render_many(views)]
    assert len(texts) == 3
    for index, text in enumerate(texts):
        assert f"LC-2025-{index:06d}" in text


@needs_font
def test_closing_time_honours_the_view_zone_not_the_given_offset() -> None:
    closed = datetime(2025, 3, 14, 7, 9, 26, tzinfo=UTC).astimezone(timezone(timedelta(hours=-7)))
    text = _text(render_certificate(_view(closed_at=closed)))
    assert "15:09:26" in text


def test_missing_font_names_the_package(tmp_path: Path) -> None:
    with pytest.raises(FontNotFoundError, match="fonts-wqy-microhei"):
        render_certificate(_view(), font_path=tmp_path / "absent.ttc")


def test_every_text_the_certificate_prints_is_in_the_catalogues() -> None:
    """Labels are looked up by msgid; one missing from a catalogue would print in English."""
    tree = ast.parse(Path(pdf_module.__file__).read_text(encoding="utf-8"))
    used: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        # gettext takes the msgid first; ngettext takes the singular msgid first.
        if name in {"_", "gettext", "ngettext"} and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                used.add(arg.value)
    assert len(used) > 10
    for locale in ("zh_CN", "en"):
        with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
            catalog = read_po(f)
        missing = sorted(msgid for msgid in used if catalog.get(msgid) is None)
        assert missing == [], locale
    # The default charge labels used across the product are translated too.
    with (LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        chinese = read_po(f)
    for label in ("Usage this month", "Prorated monthly fee", "Outstanding balance"):
        message = chinese.get(label)
        assert message is not None and message.string
