"""Throughput of closure certificate rendering, in certificates per second.

Fleet closures produce certificates in bulk, so rendering must keep up with at least
50 certificates per second on a small (2-core) server. Run
``python benchmarks/bench_certificates.py`` with the ``lineclose`` package importable.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from lineclose.certificates import CertificateView, render_certificate, render_many

_CHARGES = (
    ("Usage this month", 3850),
    ("Prorated monthly fee", 1290),
    ("Value-added services", 500),
)


def _views(n: int) -> Iterator[CertificateView]:
    """Distinct, realistic views, alternating languages, so no work is repeated by accident."""
    start = datetime(2025, 3, 14, 7, 9, 26, tzinfo=UTC)
    for index in range(n):
        chinese = index % 2 == 0
        code = f"{index:04d}-MX2P-9D"
        yield CertificateView(
            operator_name="中国移动通信集团北京有限公司" if chinese else "Albion Mobile Ltd",
            reference=f"LC-2025-{index:06d}",
            masked_msisdn=f"138****{index % 10000:04d}",
            masked_holder="张*明" if chinese else "J*** S****",
            masked_id_number="110***********1234",
            closed_at=start + timedelta(minutes=index),
            timezone="Asia/Shanghai" if chinese else "Europe/London",
            currency="CNY" if chinese else "GBP",
            charge_lines=_CHARGES,
            total_charges_minor=5640,
            paid_credit_minor=12000,
            refund_minor=6360,
            refund_destination_masked="支付宝 138****5678" if chinese else "Card ending ****4321",
            verification_code=code,
            verify_url=f"https://verify.example.com/c/{code}",
            locale="zh_CN" if chinese else "en",
        )


def measure(n: int = 200) -> float:
    """Render ``n`` certificates in one process and return certificates per second.

    One certificate is rendered first so that one-off costs (font registration, catalogue
    parsing) are excluded: they are paid once per process, not per certificate.
    """
    if n < 1:
        raise ValueError("n must be positive")
    render_certificate(next(_views(1)))
    views = list(_views(n))
    started = time.perf_counter()
    total_bytes = sum(len(pdf) for pdf in render_many(views))
    elapsed = time.perf_counter() - started
    if total_bytes == 0:
        raise RuntimeError("rendering produced no output")
    return n / elapsed


def measure_blank(n: int = 200) -> float:
    """Baseline: reportlab writing ``n`` A4 pages with one line of built-in font and no QR code."""
    from io import BytesIO

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    started = time.perf_counter()
    for index in range(n):
        buffer = BytesIO()
        canvas = Canvas(buffer, pagesize=A4)
        canvas.drawString(72, 720, f"certificate {index}")
        canvas.showPage()
        canvas.save()
    return n / (time.perf_counter() - started)


if __name__ == "__main__":
    print(f"{measure():.1f} certificates/second (one process)")
