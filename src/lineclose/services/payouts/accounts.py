"""The operator's own accounts that refunds are paid from, one per currency."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.db.models_money import PayoutAccount
from lineclose.errors import InvalidInput, NotFound
from lineclose.services.context import Actor, Deps
from lineclose.services.payouts.batches import ensure_payout_staff
from lineclose.services.payouts.files import BadAccount, check_bic, check_iban


def set_payout_account(
    session: Session,
    deps: Deps,
    actor: Actor,
    operator_code: str,
    currency: str,
    name: str,
    iban: str,
    bic: str,
) -> PayoutAccount:
    """Create or replace the account the operator pays `currency` refunds from (audited)."""
    ensure_payout_staff(actor)
    operator = session.execute(
        select(models.Operator).where(models.Operator.code == operator_code)
    ).scalar_one_or_none()
    if operator is None:
        raise NotFound(f"no operator {operator_code}", code="unknown_operator")
    currency = currency.upper()
    if len(currency) != 3 or not currency.isalpha():
        raise InvalidInput(
            "currency must be an ISO 4217 code", code="invalid_currency", field="currency"
        )
    if not name.strip():
        raise InvalidInput("name is required", code="invalid_name", field="name")
    try:
        checked_iban = check_iban(iban)
    except BadAccount as exc:
        raise InvalidInput(str(exc), code="invalid_iban", field="iban") from exc
    try:
        checked_bic = check_bic(bic)
    except BadAccount as exc:
        raise InvalidInput(str(exc), code="invalid_bic", field="bic") from exc
    now = deps.clock.now()
    account = session.execute(
        select(PayoutAccount).where(
            PayoutAccount.operator_id == operator.id, PayoutAccount.currency == currency
        )
    ).scalar_one_or_none()
    if account is None:
        account = PayoutAccount(operator_id=operator.id, currency=currency, created_at=now)
        session.add(account)
    account.name = name.strip()[:140]
    account.iban = checked_iban
    account.bic = checked_bic
    session.flush()
    audit.append(
        session,
        now,
        actor.label,
        "payout_account.set",
        "operator",
        operator.code,
        {"currency": currency, "iban": checked_iban, "bic": checked_bic},
    )
    return account
