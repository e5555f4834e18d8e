"""Finding a closure request by the reference a person typed, and drawing new references."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain.identifiers import InvalidIdentifier
from lineclose.domain.references import ALPHABET, BODY_LENGTH, format_reference, parse_reference
from lineclose.errors import InvalidInput, NotFound
from lineclose.services.context import Actor
from lineclose.services.lines import ensure_can_see_line

# Draws a reference body; injected so a test can force a clash.
BodySource = Callable[[], str]


def secure_body() -> str:
    # One call for the whole body: the alphabet's 32 symbols divide 256, so a byte modulo 32
    # is uniform (a batch draws thousands of references).
    return "".join(ALPHABET[byte % len(ALPHABET)] for byte in secrets.token_bytes(BODY_LENGTH))


def new_reference(now: datetime, draw: BodySource = secure_body) -> str:
    return format_reference(now.year, draw())


def get_request(session: Session, reference: str) -> models.ClosureRequest:
    """The request a reference names; a reference whose check character fails is refused as a typo."""
    try:
        canonical = parse_reference(reference)
    except InvalidIdentifier as typo:
        raise InvalidInput(str(typo), code="invalid_reference", field="reference") from typo
    request = session.execute(
        select(models.ClosureRequest).where(models.ClosureRequest.reference == canonical)
    ).scalar_one_or_none()
    if request is None:
        raise NotFound("no closure request with this reference", code="unknown_request")
    return request


def ensure_can_act(actor: Actor, request: models.ClosureRequest) -> None:
    ensure_can_see_line(
        actor,
        request.line,
        NotFound("no closure request with this reference", code="unknown_request"),
    )
