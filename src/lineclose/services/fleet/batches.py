"""Fleet batches: a file of cards loaded under one fleet authorisation, prechecked line by
line, and reviewed as one item (as a whole or line by line).

Rules: the authorised contact and the authorising document are recorded once for the batch;
loading the same file again for the same operator resumes its batch instead of making another;
rows naming no card in service at the operator are rejected with row, field and message; the
operator's auto-approval policy may clear a batch whose every line meets it; nobody decides a
batch they loaded.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.db.models_fleet import FleetBatch, FleetBatchLine
from lineclose.domain.identifiers import mask_contact
from lineclose.errors import Conflict, Forbidden, InvalidInput, NotFound
from lineclose.services.context import SYSTEM_ACTOR, Actor, Deps, Role
from lineclose.services.fleet.precheck import precheck_cards, resolve_lines
from lineclose.services.fleet.rows import CardRow, ParsedFile, Reject
from lineclose.services.lines import local_today, profile_of

UNDECIDED = ("clean", "blocked")
DECIDERS = (Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM)
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class FleetAuthorisation:
    contact: str  # the enterprise's authorised contact: e-mail address or phone number
    document: str  # what authorises the closure, e.g. "board resolution 2026-14, signed"


@dataclass(frozen=True)
class Loaded:
    batch: FleetBatch
    created: bool
    rejects: list[Reject]


def _check_authorisation(given: FleetAuthorisation) -> None:
    contact = given.contact.strip()
    if not contact or (" " in contact) or ("@" not in contact and not contact.startswith("+")):
        raise InvalidInput(
            "authorised_contact must be an e-mail address or a phone number in +E.164 form",
            code="invalid_authorised_contact",
            field="authorised_contact",
        )
    if not 3 <= len(given.document.strip()) <= 200:
        raise InvalidInput(
            "authorising_document must name the document (3 to 200 characters)",
            code="invalid_authorising_document",
            field="authorising_document",
        )


def operator_by_code(session: Session, code: str) -> models.Operator:
    operator = session.execute(
        select(models.Operator).where(models.Operator.code == code)
    ).scalar_one_or_none()
    if operator is None:
        raise NotFound(f"no operator {code!r}", code="unknown_operator")
    return operator


def load(
    session: Session,
    deps: Deps,
    actor: Actor,
    operator_code: str,
    parsed: ParsedFile,
    authorisation: FleetAuthorisation,
    refund_account: str | None = None,
) -> Loaded:
    if not actor.is_staff:
        raise Forbidden("staff only", code="staff_only")
    operator = operator_by_code(session, operator_code)
    existing = session.execute(
        select(FleetBatch).where(
            FleetBatch.operator_id == operator.id, FleetBatch.source_digest == parsed.digest
        )
    ).scalar_one_or_none()
    if existing is not None:
        return Loaded(existing, False, list(parsed.rejects))
    _check_authorisation(authorisation)
    profile = profile_of(operator)
    today = local_today(profile, deps.clock.now())
    rejects = list(parsed.rejects)
    lines = resolve_lines(session, operator.id, parsed.rows)
    good: list[CardRow] = []
    for row in parsed.rows:
        if row.row_number not in lines:
            rejects.append(Reject(row.row_number, "card", "no line in service with this card"))
        elif row.requested_date is not None and row.requested_date < today:
            rejects.append(Reject(row.row_number, "requested_date", "the date is in the past"))
        else:
            good.append(row)
    if not good:
        raise InvalidInput(
            "the file has no card that can be closed: see the rejected rows",
            code="no_valid_rows",
            rejects=[r.__dict__ for r in rejects[:20]],
        )
    now = deps.clock.now()
    contact = authorisation.contact.strip()
    batch = FleetBatch(
        reference=f"FB-{now.year}-" + "".join(secrets.choice(_ALPHABET) for _ in range(6)),
        operator_id=operator.id,
        status="under_review",
        authorised_contact_enc=deps.vault.encrypt(contact),
        authorised_contact_masked=mask_contact(contact),
        authorising_document=authorisation.document.strip(),
        source_digest=parsed.digest,
        refund_account_enc=deps.vault.encrypt(refund_account) if refund_account else None,
        submitted_by=actor.label,
        total_rows=len(good),
        summary={},
        created_at=now,
        updated_at=now,
    )
    session.add(batch)
    session.flush()
    summary = precheck_cards(session, deps, operator, batch.id, good, lines)
    batch.summary = summary
    audit.append(
        session, now, actor.label, "fleet.batch_loaded", "fleet_batch", batch.reference,
        {
            "authorised_contact": batch.authorised_contact_masked,
            "authorising_document": batch.authorising_document,
            "lines": len(good),
            "rejected_rows": len(rejects),
        },
    )  # fmt: skip
    if summary["auto_approvable"]:
        _decide(session, deps, SYSTEM_ACTOR, batch, True, None, {"auto_approved": True})
    return Loaded(batch, True, rejects)


def get_batch(session: Session, actor: Actor, reference: str) -> FleetBatch:
    batch = session.execute(
        select(FleetBatch).where(FleetBatch.reference == reference.strip().upper())
    ).scalar_one_or_none()
    if batch is None:
        raise NotFound("no fleet batch with this reference", code="unknown_fleet_batch")
    if not actor.is_staff and actor.role is not Role.SYSTEM:
        raise Forbidden("staff only", code="staff_only")
    if actor.operator_id is not None and actor.operator_id != batch.operator_id:
        raise Forbidden("this batch belongs to another operator", code="other_operator")
    return batch


def decide(
    session: Session,
    deps: Deps,
    actor: Actor,
    reference: str,
    approve: bool,
    rows: list[int] | None = None,
    note: str = "",
) -> dict[str, int]:
    """Approve or reject the whole batch (rows None) or the listed rows. Approving the whole
    batch rejects its blocked lines; a blocked row cannot be approved by name."""
    if actor.role not in DECIDERS:
        raise Forbidden("only a reviewer can decide a fleet batch", code="reviewer_only")
    batch = get_batch(session, actor, reference)
    if batch.submitted_by == actor.label:
        raise Forbidden("nobody decides a batch they loaded", code="four_eyes_required")
    return _decide(session, deps, actor, batch, approve, rows, {"note": note} if note else {})


def _decide(
    session: Session,
    deps: Deps,
    actor: Actor,
    batch: FleetBatch,
    approve: bool,
    rows: list[int] | None,
    reason: dict[str, Any],
) -> dict[str, int]:
    line = FleetBatchLine
    scope = [line.batch_id == batch.id]
    if rows is not None:
        if not rows:
            raise InvalidInput("name at least one row", code="rows_required", field="rows")
        states = dict(
            session.execute(
                select(line.row_number, line.state).where(*scope, line.row_number.in_(rows))
            ).all()
        )
        unknown = sorted(set(rows) - set(states))
        undecided = [r for r in rows if states.get(r) in UNDECIDED]
        if unknown or len(undecided) != len(rows):
            raise InvalidInput(
                f"rows not awaiting a decision: {sorted(set(rows) - set(undecided))}",
                code="rows_not_pending",
                field="rows",
            )
        if approve and any(states[r] == "blocked" for r in rows):
            blocked = sorted(r for r in rows if states[r] == "blocked")
            raise Conflict(f"blocked rows cannot be approved: {blocked}", code="blockers_present")
        scope.append(line.row_number.in_(rows))
    approved = rejected = 0
    if approve:
        approved = session.execute(
            update(line).where(*scope, line.state == "clean").values(state="approved")
        ).rowcount  # type: ignore[attr-defined]
        if rows is None:
            rejected = session.execute(
                update(line)
                .where(*scope, line.state == "blocked")
                .values(state="rejected", error="blocked at review")
            ).rowcount  # type: ignore[attr-defined]
    else:
        rejected = session.execute(
            update(line)
            .where(*scope, line.state.in_(UNDECIDED))
            .values(state="rejected", error="rejected at review")
        ).rowcount  # type: ignore[attr-defined]
    now = deps.clock.now()
    pending = session.execute(
        select(line.id).where(line.batch_id == batch.id, line.state.in_(UNDECIDED)).limit(1)
    ).first()
    if pending is None:
        batch.status = "approved" if _has(session, batch, "approved") else "done"
        batch.decided_by = actor.label
        batch.decided_at = now
    batch.updated_at = now
    action = "fleet.batch_approved" if approve else "fleet.batch_rejected"
    audit.append(
        session, now, actor.label, action, "fleet_batch", batch.reference,
        {**reason, "approved": approved, "rejected": rejected, "rows": rows or "all"},
    )  # fmt: skip
    return {"approved": approved, "rejected": rejected}


def _has(session: Session, batch: FleetBatch, state: str) -> bool:
    return (
        session.execute(
            select(FleetBatchLine.id)
            .where(FleetBatchLine.batch_id == batch.id, FleetBatchLine.state == state)
            .limit(1)
        ).first()
        is not None
    )


def operator_region(session: Session, operator_code: str) -> str:
    """The country whose national number forms a file of this operator may use."""
    return profile_of(operator_by_code(session, operator_code)).country
