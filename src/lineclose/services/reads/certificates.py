"""Closure certificates: the public check anyone may make, and the PDF for the holder and staff."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.errors import NotFound
from lineclose.services.access import Action, ensure
from lineclose.services.certificates import certificate_pdf, find_certificate, public_view
from lineclose.services.context import Actor, Deps
from lineclose.services.lines import ensure_can_see_line
from lineclose.services.reads.requests import certificate_code


@dataclass(frozen=True)
class CertificateDocument:
    pdf: bytes
    filename: str


def verify_certificate(session: Session, code: str) -> dict[str, Any]:
    """Public: that the closure happened, when, and for which masked number; nothing personal."""
    return public_view(find_certificate(session, code))


def _document(deps: Deps, certificate: models.Certificate, reference: str) -> CertificateDocument:
    url = f"{deps.settings.public_base_url}/verify/{certificate.code}"
    return CertificateDocument(certificate_pdf(certificate, url), f"{reference}.pdf")


def certificate_by_code(
    session: Session, deps: Deps, actor: Actor, code: str
) -> CertificateDocument:
    """The PDF, for the line's holder or its operator's staff."""
    ensure(actor, Action.VIEW_LINE)
    certificate = find_certificate(session, code)
    request = session.get(models.ClosureRequest, certificate.request_id)
    if request is None:
        raise NotFound("no certificate with this verification code", code="unknown_certificate")
    ensure_can_see_line(
        actor,
        request.line,
        NotFound("no certificate with this verification code", code="unknown_certificate"),
    )
    return _document(deps, certificate, request.reference)


def certificate_by_reference(
    session: Session, deps: Deps, actor: Actor, reference: str
) -> CertificateDocument:
    code = certificate_code(session, actor, reference)
    return _document(deps, find_certificate(session, code), reference.strip().upper())
