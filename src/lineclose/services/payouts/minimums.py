"""Refunds under the bank's smallest transfer are not sent; the profile says what happens.

Rules: a refund below the profile's `refund_minimum_minor` is donated (`donate`), kept as
credit with the operator (`credit`) or paid another way, such as cash at a store
(`other_method`), as `under_minimum` says. The decision is audited and the subscriber is told
which at the alternate contact. Such refunds never enter a batch and never hold back retention.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.domain.identifiers import mask_msisdn
from lineclose.i18n import format_money, translator
from lineclose.services.context import Actor, Deps
from lineclose.services.lines import profile_of
from lineclose.services.notices import enqueue_to_contact

DISPOSITION_TEXT = {
    "donate": "donated to charity on your behalf",
    "credit": "kept as credit with us for 12 months: ask for it at any store",
    "other_method": "paid another way: collect it in cash at any of our stores",
}


def apply_minimums(session: Session, deps: Deps, actor: Actor, operator_id: int | None) -> int:
    """Settle the disposition of every instructed refund under its profile's minimum."""
    query = (
        select(models.RefundInstruction, models.ClosureRequest)
        .join(
            models.ClosureRequest, models.ClosureRequest.id == models.RefundInstruction.request_id
        )
        .where(
            models.RefundInstruction.status == "instructed",
            models.RefundInstruction.disposition == "payout",
        )
    )
    if operator_id is not None:
        query = query.where(models.ClosureRequest.operator_id == operator_id)
    now = deps.clock.now()
    moved = 0
    for refund, request in session.execute(query).all():
        profile = profile_of(request.operator)
        minimum = profile.refund_minimum_minor.value
        if refund.amount_minor >= minimum:
            continue
        refund.disposition = profile.under_minimum
        refund.updated_at = now
        moved += 1
        audit.append(
            session,
            now,
            actor.label,
            "refund.under_minimum",
            "refund",
            str(refund.id),
            {"disposition": profile.under_minimum, "minimum_minor": minimum},
        )
        if request.alternate_contact_enc:
            words = translator(profile.locale).gettext
            enqueue_to_contact(
                session,
                deps,
                key=f"{request.id}:notice:refund_under_minimum",
                contact=deps.vault.decrypt(request.alternate_contact_enc),
                notice="refund_under_minimum",
                locale=profile.locale,
                values={
                    "amount": format_money(refund.amount_minor, refund.currency, profile.locale),
                    "msisdn": mask_msisdn(request.line.msisdn),
                    "reference": request.reference,
                    "operator": request.operator.name,
                    "disposition": words(DISPOSITION_TEXT[profile.under_minimum]),
                },
                request_id=request.id,
            )
    return moved
