"""Closed lines with a refund waiting, as settlement leaves them, for the payout tests."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain.identifiers import mask_account
from lineclose.services.context import Deps
from tests.factories import make_line

_serial = itertools.count(1)


def closed_with_refund(
    session: Session,
    deps: Deps,
    operator: models.Operator,
    *,
    account: str,
    amount_minor: int = 2_500,
    contact: str = "alt@example.org",
    holder_name: str = "Anna Schmidt",
) -> models.RefundInstruction:
    line = make_line(session, deps, operator, holder_name=holder_name)
    now = deps.clock.now()
    line.status = "closed"
    line.closed_at = now
    n = next(_serial)
    request = models.ClosureRequest(
        reference=f"LC-2026-T{n:05d}",
        operator_id=operator.id,
        line_id=line.id,
        status="closed",
        channel="online",
        submitted_by="subscriber:test",
        payload_digest="0" * 64,
        refund_account_enc=deps.vault.encrypt(account),
        refund_account_masked=mask_account(account),
        alternate_contact_enc=deps.vault.encrypt(contact),
        alternate_contact_masked="a***@example.org",
        submitted_at=now - timedelta(days=3),
        closed_at=now,
        created_at=now - timedelta(days=3),
        updated_at=now,
    )
    session.add(request)
    session.flush()
    refund = models.RefundInstruction(
        request_id=request.id,
        amount_minor=amount_minor,
        currency=line.currency,
        account_enc=request.refund_account_enc,
        account_masked=mask_account(account),
        status="instructed",
        idempotency_key=f"{request.id}:refund",
        created_at=now,
    )
    session.add(refund)
    session.flush()
    return refund
