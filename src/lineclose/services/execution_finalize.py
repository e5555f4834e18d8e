"""Finalizing a batch of requests: certificates, lines closed, numbers aging, requests closed,
and the closing notices, each table written once for the batch.

The rules are `execution.finalize`'s. One difference is by design: requests submitted in bulk
(a fleet, whose every card names the same authorised contact) tell that contact once per
finalized batch, in one summary listing each line's reference and verification code (and any
amount left to pay), instead of one message per card. Requests submitted one by one keep
their own notice to their alternate contact. Third parties bound to a line are told per line.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lineclose.db import models, outbox
from lineclose.db.among import among
from lineclose.db.bulk_writes import insert_rows
from lineclose.db.models_money import Debt
from lineclose.domain.aging import NumberState, aging_until
from lineclose.domain.facts import LineStatus
from lineclose.domain.identifiers import mask_msisdn, mask_name
from lineclose.domain.states import Command
from lineclose.i18n import format_money
from lineclose.services import execution_merge as merge
from lineclose.services.context import Channel, Deps
from lineclose.services.execution_transitions import transition_many
from lineclose.services.language import line_locale
from lineclose.services.lines import local_today, profile_of
from lineclose.services.notices import notice_row

Result = dict[str, Any]
Request = models.ClosureRequest
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
assert len(_CODE_ALPHABET) == 32


def verification_code() -> str:
    """Three groups of four characters drawn uniformly from the 32-character alphabet: the low
    five bits of each random byte (256 is a multiple of 32), one call to the system's source."""
    drawn = "".join(_CODE_ALPHABET[byte & 31] for byte in secrets.token_bytes(12))
    return f"{drawn[:4]}-{drawn[4:8]}-{drawn[8:]}"


def finalize_many(session: Session, deps: Deps, requests: list[Request]) -> list[Result]:
    now = deps.clock.now()
    ids = [r.id for r in requests]
    refunds = {
        rid: (amount, masked)
        for rid, amount, masked in session.execute(
            select(
                models.RefundInstruction.request_id,
                models.RefundInstruction.amount_minor,
                models.RefundInstruction.account_masked,
            ).where(among(session, models.RefundInstruction.request_id, ids))
        )
    }
    holders: dict[int, str] = {}
    certificates, numbers, disconnections, results = [], [], [], []
    closed: list[tuple[Request, str, date]] = []
    days: dict[str, date] = {}
    for request in requests:
        line = request.line
        profile = profile_of(line.operator)
        if profile.timezone not in days:  # the same for every line of a jurisdiction
            days[profile.timezone] = local_today(profile, now)
        today = days[profile.timezone]
        subscriber = line.subscriber
        if subscriber.id not in holders:
            name = deps.vault.decrypt(subscriber.name_enc) if subscriber.name_enc else ""
            holders[subscriber.id] = mask_name(name) if name else ""
        code = verification_code()
        refund_minor, refund_masked = refunds.get(request.id, (0, ""))
        certificates.append(
            {
                "request_id": request.id,
                "code": code,
                "issued_at": now,
                "content": {
                    "reference": request.reference,
                    "operator": line.operator.name,
                    "locale": line_locale(line),
                    "timezone": profile.timezone,
                    "masked_msisdn": mask_msisdn(line.msisdn),
                    "masked_holder": holders[subscriber.id],
                    "masked_id_number": subscriber.id_number_masked or "",
                    "closed_at": now.isoformat(),
                    "quote": request.quote or {},
                    "refund_minor": refund_minor,
                    "refund_destination_masked": refund_masked,
                },
            }
        )
        until = aging_until(today, profile)
        numbers.append(
            {
                "msisdn": line.msisdn,
                "operator_id": line.operator_id,
                "state": NumberState.AGING.value,
                "aging_until": until,
                "last_disconnected_on": today,
                "updated_at": now,
            }
        )
        disconnections.append(
            {"msisdn": line.msisdn, "disconnected_on": today, "request_id": request.id}
        )
        closed.append((request, code, today))
        results.append({"certificate": code, "aging_until": until.isoformat()})
    insert_rows(session, models.Certificate, certificates)
    line_ids = [r.line_id for r in requests]
    zeroed = merge.ZEROED if merge.take_zeroed(session, line_ids) else {}
    session.execute(
        update(models.Line)
        .where(among(session, models.Line.id, line_ids))
        .values(status=LineStatus.CLOSED, closed_at=now, **zeroed)
    )
    _age_numbers(session, numbers)
    insert_rows(session, models.Disconnection, disconnections)
    transition_many(
        session, deps, requests, Command.COMPLETE,
        {r.id: {"certificate": code} for r, code, _ in closed},
        changed=merge.take_quotes(session, ids), closed_at=now,
    )  # fmt: skip
    outbox.enqueue_many(session, now, closing_notices(session, deps, closed))
    return results


def _age_numbers(session: Session, numbers: list[dict[str, Any]]) -> None:
    """Insert each number, or set an existing one aging: one statement for the batch."""
    table = models.Number.metadata.tables[models.Number.__tablename__]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["msisdn"],
        set_={
            name: statement.excluded[name]
            for name in ("state", "aging_until", "last_disconnected_on", "updated_at")
        },
    )
    session.execute(statement, numbers)


def closing_notices(
    session: Session, deps: Deps, closed: list[tuple[Request, str, date]]
) -> list[dict[str, Any]]:
    """The outbox rows telling of these closures: each line's alternate contact (one summary
    per contact for requests submitted in bulk) and the third parties bound to each line."""
    rows: list[dict[str, Any]] = []
    summaries: dict[tuple[str, str, str, date], list[tuple[Request, str]]] = defaultdict(list)
    for request, code, today in closed:
        line = request.line
        if not request.alternate_contact_enc:
            continue
        contact = deps.vault.decrypt(request.alternate_contact_enc)
        if request.channel == Channel.BULK.value:
            summaries[(contact, line_locale(line), line.operator.name, today)].append(
                (request, code)
            )
            continue
        rows.append(
            notice_row(
                deps,
                key=f"{request.id}:notice:closed",
                to=contact,
                notice="closed_alternate_contact",
                locale=line_locale(line),
                values=_values(request, code, today),
                request_id=request.id,
            )
        )
    if summaries:
        rows.extend(_summaries(session, deps, summaries))
    rows.extend(_binding_notices(session, deps, closed))
    return rows


def _values(request: Request, code: str, today: date) -> dict[str, Any]:
    return {
        "reference": request.reference,
        "msisdn": mask_msisdn(request.line.msisdn),
        "verification_code": code,
        "operator": request.line.operator.name,
        "date": today.isoformat(),
    }


def _summaries(
    session: Session,
    deps: Deps,
    groups: dict[tuple[str, str, str, date], list[tuple[Request, str]]],
) -> list[dict[str, Any]]:
    """One notice per contact of the batch, keyed by its first request: the step that finalizes
    these requests enqueues it once, with their closures, in the same transaction."""
    ids = [r.id for group in groups.values() for r, _ in group]
    owed = {
        rid: (amount, currency, pay_reference)
        for rid, amount, currency, pay_reference in session.execute(
            select(Debt.request_id, Debt.amount_minor, Debt.currency, Debt.pay_reference).where(
                among(session, Debt.request_id, ids), Debt.status == "collection"
            )
        )
    }
    rows = []
    for (contact, locale, operator, today), group in groups.items():
        listed = []
        for request, code in group:
            item = f"{mask_msisdn(request.line.msisdn)} {request.reference} {code}"
            if request.id in owed:
                amount, currency, pay_reference = owed[request.id]
                item += f" ({format_money(amount, currency, locale)}, {pay_reference})"
            listed.append(item)
        first = min(r.id for r, _ in group)
        rows.append(
            notice_row(
                deps,
                key=f"{first}:notice:closed:summary",
                to=contact,
                notice="fleet_closed_summary",
                locale=locale,
                values={
                    "count": len(group),
                    "operator": operator,
                    "date": today.isoformat(),
                    "lines": "; ".join(listed),
                },
                request_id=first,
                subject="fleet_closed_subject",
            )
        )
    return rows


def _binding_notices(
    session: Session, deps: Deps, closed: list[tuple[Request, str, date]]
) -> list[dict[str, Any]]:
    by_line = {request.line_id: (request, code, today) for request, code, today in closed}
    bindings = session.execute(
        select(models.Binding.id, models.Binding.line_id, models.Binding.service,
               models.Binding.notify_email)
        .where(
            among(session, models.Binding.line_id, list(by_line)),
            # Told even when marked unbound: the subscriber's word is not the service's record.
            models.Binding.notify_on_closure.is_(True),
            models.Binding.notify_email.is_not(None),
        )
        .order_by(models.Binding.id)
    )  # fmt: skip
    rows = []
    for binding_id, line_id, service, email in bindings:
        request, code, today = by_line[line_id]
        assert email is not None
        rows.append(
            notice_row(
                deps,
                key=f"{request.id}:notice:binding:{binding_id}",
                to=email,
                notice="third_party_closed",
                locale=profile_of(request.line.operator).locale,
                values={**_values(request, code, today), "service": service},
                request_id=request.id,
                email=True,
            )
        )
    return rows
