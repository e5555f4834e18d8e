"""Writing the settlements of a batch of requests: each table once for the batch.

The rules are `execution.settle`'s and `debts.open_debt`'s: a final bill at the execution
date (paid from credit unless the charges exceed it), the balances zeroed, a refund
instruction when credit is left, a debt when charges are left (written off under the
profile's threshold, else in collection and the alternate contact told). Requests submitted in
bulk (a fleet) are told of their debts in their batch's closing summary instead.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from lineclose.db import audit, models, outbox
from lineclose.db.among import among
from lineclose.db.bulk_writes import insert_rows
from lineclose.db.models_money import Debt
from lineclose.domain.identifiers import mask_msisdn
from lineclose.domain.profiles import JurisdictionProfile
from lineclose.domain.settlement import Quote
from lineclose.i18n import format_money
from lineclose.services import execution_merge as merge
from lineclose.services.context import SYSTEM_ACTOR, Channel, Deps
from lineclose.services.notices import notice_row
from lineclose.services.views import quote_view

Result = dict[str, Any]
Request = models.ClosureRequest
Settled = tuple[Request, JurisdictionProfile, date, Quote]
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def charges_of(final: Quote) -> list[dict[str, Any]]:
    charges = [
        {"label": "Prorated monthly fee", "amount_minor": final.prorated_fee.minor},
        {"label": "Usage this month", "amount_minor": final.unbilled_usage.minor},
    ]
    if final.etf_included:
        charges.append(
            {"label": "Early termination fee", "amount_minor": final.early_termination_fee.minor}
        )
    return charges


def write_settlements(session: Session, deps: Deps, settled: list[Settled]) -> list[Result]:
    now = deps.clock.now()
    bills, refunds, results = [], [], []
    quotes: dict[int, dict[str, Any]] = {}
    for request, _profile, today, final in settled:
        charges = charges_of(final)
        bills.append(
            {
                "line_id": request.line_id,
                "kind": "final",
                "period_start": today,
                "period_end": today,
                "amount_minor": final.total_charges.minor,
                "currency": final.currency,
                "due_on": today + timedelta(days=14),
                "paid_at": now if not final.amount_due.is_positive else None,
                "lines_json": charges,
            }
        )
        if final.refund.is_positive:
            assert request.refund_account_enc and request.refund_account_masked
            refunds.append(
                {
                    "request_id": request.id,
                    "amount_minor": final.refund.minor,
                    "currency": final.currency,
                    "account_enc": request.refund_account_enc,
                    "account_masked": request.refund_account_masked,
                    "status": "instructed",
                    "idempotency_key": f"{request.id}:refund",
                    "created_at": now,
                }
            )
        quotes[request.id] = {**quote_view(final), "charges": charges}
        results.append(
            {"refund_minor": final.refund.minor, "amount_due_minor": final.amount_due.minor}
        )
    # Not the ORM's bulk insert: it leaves out the None values (`paid_at`, `settled_at`) and
    # so sends a statement per run of rows alike. COPY on PostgreSQL.
    insert_rows(session, models.Bill, bills)
    if refunds:
        insert_rows(session, models.RefundInstruction, refunds)
    _open_debts(session, deps, [s for s in settled if s[3].amount_due.is_positive])
    line_ids = [s[0].line_id for s in settled]
    waiting = merge.pending(session)
    if waiting is None:
        merge.write_zeroed(session, line_ids)
        merge.write_quotes(session, quotes)
    else:  # finalize follows in this transaction and writes them with its own updates
        waiting.zeroed_lines.update(line_ids)
        waiting.quotes.update(quotes)
    for request, _, _, _ in settled:
        # Finalize, in the same transaction, reads the quote from the loaded request.
        set_committed_value(request, "quote", quotes[request.id])
    for (request, _, _, _), result in zip(settled, results, strict=True):
        audit.append(
            session, now, SYSTEM_ACTOR.label, "request.settled", "closure_request",
            request.reference, dict(result),
        )  # fmt: skip
    return results


def _open_debts(session: Session, deps: Deps, owing: list[Settled]) -> None:
    if not owing:
        return
    existing = set(
        session.execute(
            select(Debt.request_id).where(among(session, Debt.request_id, [s[0].id for s in owing]))
        ).scalars()
    )
    now = deps.clock.now()
    debts, notices = [], []
    for request, profile, _today, final in owing:
        if request.id in existing:
            continue  # settlement repeated after a crash
        threshold = profile.debt_write_off_minor.value
        amount = final.amount_due.minor
        currency = request.line.currency
        written_off = amount < threshold
        debt = {
            "request_id": request.id,
            "amount_minor": amount,
            "paid_minor": 0,
            "currency": currency,
            "status": "written_off" if written_off else "collection",
            "reason": (
                f"under the write-off threshold of {threshold} minor units ({profile.code})"
                if written_off
                else "amount due after final settlement"
            ),
            "pay_reference": "PAY-" + "".join(secrets.choice(_ALPHABET) for _ in range(10)),
            "created_at": now,
            "settled_at": now if written_off else None,
        }
        debts.append(debt)
        audit.append(
            session, now, SYSTEM_ACTOR.label, f"debt.{debt['status']}", "closure_request",
            request.reference,
            {"amount_minor": amount, "currency": currency, "reason": debt["reason"]},
        )  # fmt: skip
        bulk = request.channel == Channel.BULK.value
        if not written_off and request.alternate_contact_enc and not bulk:
            notices.append(
                notice_row(
                    deps,
                    key=f"{request.id}:notice:debt_due",
                    to=deps.vault.decrypt(request.alternate_contact_enc),
                    notice="debt_due",
                    locale=profile.locale,
                    values={
                        "amount": format_money(amount, currency, profile.locale),
                        "msisdn": mask_msisdn(request.line.msisdn),
                        "reference": request.reference,
                        "pay_reference": debt["pay_reference"],
                        "operator": request.line.operator.name,
                    },
                    request_id=request.id,
                )
            )
    if debts:
        insert_rows(session, Debt, debts)
    outbox.enqueue_many(session, now, notices)
