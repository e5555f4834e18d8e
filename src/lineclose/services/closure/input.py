"""What a requester gives with a closure, validated whole before anything changes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain.contacts import validate_alternate_contact, validate_refund_account
from lineclose.domain.facts import IdentityMethod
from lineclose.domain.identifiers import InvalidIdentifier, mask_account, mask_contact
from lineclose.errors import InvalidInput
from lineclose.services.context import Actor, Deps
from lineclose.services.identity import IdentityEvidence, verify_evidence
from lineclose.services.identity.caller import redeem_caller_verification
from lineclose.services.identity.evidence import seen_document
from lineclose.services.line_loading import LoadedFacts
from lineclose.services.lines import local_today, profile_of


@dataclass(frozen=True)
class ClosureInput:
    """What a requester gives when submitting or resubmitting."""

    refund_account: str | None = None
    alternate_contact: str | None = None
    acknowledged_bindings: tuple[int, ...] = ()
    accept_etf: bool = False
    requested_date: date | None = None
    schedule_at_term_end: bool = False
    identity: tuple[IdentityEvidence, ...] = ()
    # The handle of a verification staff made a moment ago (services/identity/caller.py).
    caller_verification: str | None = None

    def digest(self, msisdn: str, channel: str) -> str:
        body = {
            "msisdn": msisdn,
            "channel": channel,
            "refund_account": self.refund_account,
            "alternate_contact": self.alternate_contact,
            "acknowledged_bindings": sorted(self.acknowledged_bindings),
            "accept_etf": self.accept_etf,
            "requested_date": self.requested_date.isoformat() if self.requested_date else None,
            "schedule_at_term_end": self.schedule_at_term_end,
            "identity": sorted(e.method.value for e in self.identity),
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _checked(rule_result: InvalidIdentifier) -> InvalidInput:
    return InvalidInput(
        str(rule_result), code=f"invalid_{rule_result.field}", field=rule_result.field
    )


def _commitment_end(session: Session, line_id: int, loaded: LoadedFacts | None) -> date | None:
    if loaded is not None:
        return loaded.commitment_end
    return session.execute(
        select(models.Contract.commitment_end).where(models.Contract.line_id == line_id)
    ).scalar_one_or_none()


def _binding_ids(session: Session, line_id: int, loaded: LoadedFacts | None) -> frozenset[int]:
    if loaded is not None:
        return loaded.binding_ids
    return frozenset(
        session.execute(
            select(models.Binding.id).where(models.Binding.line_id == line_id)
        ).scalars()
    )


def apply_input(
    session: Session,
    deps: Deps,
    actor: Actor,
    request: models.ClosureRequest,
    given: ClosureInput,
    loaded: LoadedFacts | None = None,
) -> None:
    """Validate everything before changing anything, then copy onto the request. `loaded`: the
    line's facts already read in this unit of work (else the contract and bindings are read)."""
    line = request.line
    today = local_today(profile_of(line.operator), deps.clock.now())
    requested = given.requested_date
    if requested is not None and requested < today:
        raise InvalidInput(
            f"requested_date {requested.isoformat()} is in the past: choose today or later",
            code="date_in_past",
            field="requested_date",
        )
    if given.schedule_at_term_end:
        commitment_end = _commitment_end(session, line.id, loaded)
        if commitment_end is None:
            raise InvalidInput(
                "schedule_at_term_end needs a line with a contract", code="no_contract"
            )
        requested = max(commitment_end, today)
    known_bindings = _binding_ids(session, line.id, loaded)
    unknown = [b for b in given.acknowledged_bindings if b not in known_bindings]
    if unknown:
        raise InvalidInput(
            f"acknowledged_bindings lists bindings not on this line: {unknown}",
            code="unknown_binding",
            field="acknowledged_bindings",
        )
    try:
        account = validate_refund_account(given.refund_account) if given.refund_account else None
        contact = (
            validate_alternate_contact(given.alternate_contact, line.msisdn)
            if given.alternate_contact
            else None
        )
    except InvalidIdentifier as refused:
        raise _checked(refused) from refused
    document = seen_document(actor, list(given.identity))
    methods = verify_evidence(session, deps, actor, line, list(given.identity))
    if given.caller_verification:
        methods |= redeem_caller_verification(
            session, deps, actor, line.id, given.caller_verification
        )

    request.requested_date = requested
    request.accept_etf = given.accept_etf
    request.acknowledged_bindings = sorted(given.acknowledged_bindings)
    request.identity_methods = sorted(
        {*(IdentityMethod(m) for m in request.identity_methods or []), *methods}
    )
    if document:
        request.identity_document = document
    if account:
        request.refund_account_enc = deps.vault.encrypt(account)
        request.refund_account_masked = mask_account(account)
    if contact:
        request.alternate_contact_enc = deps.vault.encrypt(contact)
        request.alternate_contact_masked = mask_contact(contact)
