"""Identity evidence a requester shows with a closure: service password, ID number, document seen.

Every channel (API precheck, submit and resubmit, TMF622 orders, the console check, the portal)
checks evidence here, so every wrong answer counts toward the same lock-out (`lockout`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain.facts import IdentityMethod
from lineclose.domain.identifiers import InvalidIdentifier, normalize_id_number
from lineclose.errors import Forbidden, InvalidInput
from lineclose.security.secrets_hashing import same, verify_password
from lineclose.services.context import Actor, Channel, Deps, Role
from lineclose.services.identity import lockout
from lineclose.services.lines import profile_of


@dataclass(frozen=True)
class IdentityEvidence:
    """One piece of evidence; for `id_document_seen` the value names the document looked at."""

    method: IdentityMethod
    value: str | None = None


# The documents a store may record having seen (RULES.md: copies are marked with their purpose).
DOCUMENT_KINDS = ("resident_id_card", "passport", "driving_licence", "residence_permit")


def seen_document(actor: Actor, evidence: list[IdentityEvidence]) -> str | None:
    """Which ID document staff saw, if they record one. A document cannot be seen over the
    phone, so the hotline may not record one; a store names the kind it looked at."""
    seen = [e for e in evidence if e.method is IdentityMethod.ID_DOCUMENT_SEEN]
    if not seen:
        return None
    if actor.channel is Channel.HOTLINE:
        raise InvalidInput(
            "an ID document cannot be seen over the phone: verify the caller with the service "
            "password or ID number",
            code="document_not_seen_by_phone",
            field="identity",
        )
    kind = (seen[0].value or "").strip()
    if not kind:
        return None
    if kind not in DOCUMENT_KINDS:
        raise InvalidInput(
            f"the document seen must be one of {', '.join(DOCUMENT_KINDS)}",
            code="invalid_document_kind",
            field="identity",
        )
    return kind


def verify_evidence(
    session: Session, deps: Deps, actor: Actor, line: models.Line, evidence: list[IdentityEvidence]
) -> frozenset[IdentityMethod]:
    """Turn what the requester showed into verified methods; any wrong evidence refuses the call.

    A wrong ID number or service password is counted against the line and the caller and
    audited; while either is locked, no such evidence is even compared.
    """
    methods: set[IdentityMethod] = set()
    answers = {IdentityMethod.SERVICE_PASSWORD, IdentityMethod.ID_NUMBER}
    if any(item.method in answers for item in evidence):
        lockout.ensure_not_locked(session, deps, line.id, actor.label)
    if actor.role is Role.SUBSCRIBER and actor.verified_line_id == line.id:
        methods.add(IdentityMethod.OTP)
    subscriber = line.subscriber
    profile = profile_of(line.operator)
    for item in evidence:
        if item.method is IdentityMethod.OTP:
            continue  # proven only by a session signed in with a code to this line
        if item.method is IdentityMethod.ID_DOCUMENT_SEEN:
            if actor.role is not Role.AGENT and actor.role is not Role.ADMIN:
                raise Forbidden(
                    "only store or hotline staff can record a document check", code="staff_only"
                )
            methods.add(item.method)
        elif item.method is IdentityMethod.SERVICE_PASSWORD:
            stored = subscriber.service_password_hash
            if not item.value or not stored or not verify_password(stored, item.value):
                lockout.refuse(
                    session,
                    deps,
                    actor,
                    line.id,
                    item.method,
                    "the service password does not match",
                )
            methods.add(item.method)
        elif item.method is IdentityMethod.ID_NUMBER:
            if not item.value or not id_number_matches(
                deps,
                subscriber,
                item.value,
                profile.id_scheme,
                profile.id_last_six_allowed,
                deps.clock.now(),
            ):
                lockout.refuse(
                    session,
                    deps,
                    actor,
                    line.id,
                    item.method,
                    "the ID number does not match the holder's",
                )
            methods.add(item.method)
    return frozenset(methods)


def id_number_matches(
    deps: Deps,
    subscriber: models.Subscriber,
    given: str,
    scheme: str,
    last_six_allowed: bool,
    now: datetime,
) -> bool:
    compact = "".join(given.split()).upper()
    if last_six_allowed and len(compact) == 6 and subscriber.id_number_enc:
        return same(deps.vault.decrypt(subscriber.id_number_enc)[-6:], compact)
    try:
        normalized = normalize_id_number(compact, scheme, now.date())
    except InvalidIdentifier:
        return False
    return subscriber.id_number_index == deps.vault.blind_index(normalized.value)
