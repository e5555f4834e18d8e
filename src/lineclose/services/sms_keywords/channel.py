"""The operator's SMS channel: its short code and keyword settings, and which line a text is from."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.db.models_channels import SmsChannelSetting
from lineclose.domain.identifiers import InvalidIdentifier, normalize_msisdn
from lineclose.errors import InvalidInput, NotFound
from lineclose.services.context import Actor, Deps
from lineclose.services.lines import profile_of
from lineclose.services.sms_keywords.keywords import SMS_ORIGIN_ACCEPTED, KeywordList


@dataclass(frozen=True)
class ServedText:
    """A text from a line the operator serves, to that operator's short code."""

    line: models.Line
    short_code: str
    keywords: KeywordList
    sms_origin_accepted: bool
    locale: str


def _short_code(raw: str) -> str:
    compact = "".join(ch for ch in raw if ch.isalnum())
    if not compact or len(compact) > 20:
        raise InvalidInput(
            "short_code must be 1 to 20 letters or digits", code="invalid_short_code"
        )
    return compact


def set_short_code(
    session: Session, deps: Deps, actor: Actor, operator_code: str, short_code: str
) -> SmsChannelSetting:
    """Give an operator its short code (one operator per code); recorded in the audit log."""
    code = _short_code(short_code)
    operator = session.execute(
        select(models.Operator).where(models.Operator.code == operator_code)
    ).scalar_one_or_none()
    if operator is None:
        raise NotFound(f"no operator {operator_code!r}", code="unknown_operator")
    taken = session.execute(
        select(SmsChannelSetting).where(
            SmsChannelSetting.short_code == code, SmsChannelSetting.operator_id != operator.id
        )
    ).scalar_one_or_none()
    if taken is not None:
        raise InvalidInput(
            f"short code {code} belongs to another operator", code="short_code_taken"
        )
    now = deps.clock.now()
    setting = session.get(SmsChannelSetting, operator.id)
    if setting is None:
        setting = SmsChannelSetting(operator_id=operator.id, short_code=code, keywords={})
        session.add(setting)
    setting.short_code = code
    setting.updated_at = now
    session.flush()
    audit.append(
        session, now, actor.label, "sms.short_code_set", "operator", operator.code, {"code": code}
    )
    return setting


def short_code_of(session: Session, operator_id: int) -> str | None:
    setting = session.get(SmsChannelSetting, operator_id)
    return setting.short_code if setting else None


def keywords_of(session: Session, operator: models.Operator) -> KeywordList:
    setting = session.get(SmsChannelSetting, operator.id)
    return KeywordList.for_operator(
        profile_of(operator).code, setting.keywords if setting else None
    )


def sender_msisdn(sender: str, region: str) -> str | None:
    """Gateways hand the sender over as +E.164, as digits with the country code, or in national
    form: each is tried in the operator's region."""
    text = sender.strip()
    candidates = [text] if text.startswith("+") else [text, "+" + text]
    for candidate in candidates:
        try:
            return normalize_msisdn(candidate, region)
        except InvalidIdentifier:
            continue
    return None


def served_text(session: Session, sender: str, receiver: str) -> ServedText | None:
    """The line in service that sent a text to its own operator's short code, else None: a
    number the operator does not serve, or a text to another operator's code, gets nothing."""
    setting = session.execute(
        select(SmsChannelSetting).where(
            SmsChannelSetting.short_code == "".join(ch for ch in receiver if ch.isalnum())
        )
    ).scalar_one_or_none()
    if setting is None:
        return None
    operator = session.get(models.Operator, setting.operator_id)
    assert operator is not None
    profile = profile_of(operator)
    msisdn = sender_msisdn(sender, profile.country)
    if msisdn is None:
        return None
    line = session.execute(
        select(models.Line).where(
            models.Line.msisdn == msisdn,
            models.Line.operator_id == setting.operator_id,
            models.Line.status != "closed",
        )
    ).scalar_one_or_none()
    if line is None:
        return None
    accepted = setting.sms_origin_accepted
    return ServedText(
        line=line,
        short_code=setting.short_code,
        keywords=KeywordList.for_operator(profile.code, setting.keywords),
        sms_origin_accepted=(
            SMS_ORIGIN_ACCEPTED.get(profile.code, False) if accepted is None else accepted
        ),
        locale=profile.locale,
    )
