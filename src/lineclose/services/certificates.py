"""Closure certificates: public verification that reveals no personal data, and the PDF."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.certificates.pdf import CertificateView, render_certificate
from lineclose.db import models
from lineclose.errors import NotFound


def find_certificate(session: Session, code: str) -> models.Certificate:
    normalized = code.strip().upper()
    certificate = session.execute(
        select(models.Certificate).where(models.Certificate.code == normalized)
    ).scalar_one_or_none()
    if certificate is None:
        raise NotFound("no certificate with this verification code", code="unknown_certificate")
    return certificate


def public_view(certificate: models.Certificate) -> dict[str, Any]:
    """What anyone holding the code may see: that the closure happened, when, and for which masked number."""
    content = certificate.content
    return {
        "valid": True,
        "verification_code": certificate.code,
        "reference": content["reference"],
        "operator": content["operator"],
        "masked_msisdn": content["masked_msisdn"],
        "closed_at": content["closed_at"],
        "issued_at": certificate.issued_at.isoformat(),
    }


def pdf_view(certificate: models.Certificate, verify_url: str) -> CertificateView:
    content = certificate.content
    quote = content.get("quote") or {}
    charges = tuple(
        (str(item["label"]), int(item["amount_minor"])) for item in quote.get("charges", [])
    )
    return CertificateView(
        operator_name=content["operator"],
        reference=content["reference"],
        masked_msisdn=content["masked_msisdn"],
        masked_holder=content.get("masked_holder") or "*",
        masked_id_number=content.get("masked_id_number") or "*",
        closed_at=datetime.fromisoformat(content["closed_at"]),
        timezone=content["timezone"],
        currency=quote.get("currency", "CNY"),
        charge_lines=charges,
        total_charges_minor=sum(amount for _, amount in charges),
        paid_credit_minor=int(quote.get("paid_credit_minor", 0)),
        refund_minor=int(content.get("refund_minor", 0)),
        refund_destination_masked=content.get("refund_destination_masked") or None,
        verification_code=certificate.code,
        verify_url=verify_url,
        locale=content.get("locale", "en"),
        amount_due_minor=int(quote.get("amount_due_minor", 0)),
    )


def certificate_pdf(certificate: models.Certificate, verify_url: str) -> bytes:
    return render_certificate(pdf_view(certificate, verify_url))
