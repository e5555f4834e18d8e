"""Telling supervisors that a review ran past its due date, so an escalation reaches someone."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain.identifiers import mask_msisdn
from lineclose.i18n import format_date
from lineclose.services.context import Deps
from lineclose.services.lines import profile_of
from lineclose.services.notices import enqueue_email


def supervisor_addresses(deps: Deps) -> list[str]:
    return [a.strip() for a in deps.settings.supervisor_emails.split(",") if a.strip()]


def notify_supervisors(session: Session, deps: Deps, request: models.ClosureRequest) -> int:
    """One e-mail per supervisor address per escalated request, through the outbox (keyed by
    the request, so a sweep that runs twice sends nothing twice), in the operator's language.
    Returns how many were queued."""
    addresses = supervisor_addresses(deps)
    if not addresses or request.review_due_on is None:
        return 0
    locale = profile_of(request.operator).locale
    values = {
        "reference": request.reference,
        "operator": request.operator.name,
        "msisdn": mask_msisdn(request.line.msisdn),
        "date": format_date(request.review_due_on, locale),
        "url": f"{deps.settings.public_base_url}/console/requests/{request.reference}",
    }
    for address in addresses:
        enqueue_email(
            session,
            deps,
            key=f"{request.id}:escalated:{address.lower()}",
            to=address,
            notice="review_escalated",
            locale=locale,
            values=values,
            request_id=request.id,
        )
    return len(addresses)
