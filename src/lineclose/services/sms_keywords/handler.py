"""Inbound texts to an operator's short code: read the keyword, answer through the outbox.

Rules: a number the operator does not serve gets nothing; replies to one number are limited
per hour (`sms_replies_per_hour`) and texts beyond get none; every inbound text and every
reply is in the audit log (masked); a reply is keyed by the inbound message, so it is sent
exactly once with delivery reports like every other SMS.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.db.models_channels import SmsOptOut
from lineclose.domain.identifiers import mask_msisdn
from lineclose.services import ratelimits
from lineclose.services.context import SYSTEM_ACTOR, Deps
from lineclose.services.notices import enqueue_sms_text
from lineclose.services.sms_keywords import closing, info, replies
from lineclose.services.sms_keywords.channel import ServedText, served_text
from lineclose.services.sms_keywords.keywords import Keyword

REPLY_NOTICE = "sms_keyword_reply"


@dataclass(frozen=True)
class Handled:
    keyword: Keyword | None
    replied: bool
    outcome: str


def reply_limit(deps: Deps) -> ratelimits.Limit:
    return ratelimits.Limit(
        "sms_keyword_reply", deps.settings.sms_replies_per_hour, 3600, "too many texts"
    )


def reply_key(inbound_id: int, gateway_id: str | None = None) -> str:
    """Keyed by the gateway's message id when it gives one: a get-url call Kannel repeats
    (our answer was lost) is then answered once."""
    return f"sms-reply:gw:{gateway_id[:80]}" if gateway_id else f"sms-reply:{inbound_id}"


def portal_link(deps: Deps, line: models.Line) -> str:
    return f"{deps.settings.public_base_url.rstrip('/')}/portal/lines/{line.id}"


def handle_inbound(
    session: Session,
    deps: Deps,
    inbound: models.InboundSms,
    text: str,
    gateway_id: str | None = None,
) -> Handled:
    """Act on a stored inbound text (in the caller's transaction)."""
    now = deps.clock.now()
    key = reply_key(inbound.id, gateway_id)
    if (
        gateway_id
        and session.execute(
            select(models.OutboxRow.id).where(models.OutboxRow.idempotency_key == key)
        ).first()
    ):
        audit.append(
            session, now, SYSTEM_ACTOR.label, "sms.inbound", "inbound_sms", str(inbound.id),
            {"outcome": "repeated_by_gateway", "answered_by": key},
        )  # fmt: skip
        return Handled(None, False, "repeated")
    served = served_text(session, inbound.sender, inbound.receiver)
    details = {"receiver": inbound.receiver[:20]}
    if served is None:
        audit.append(
            session, now, SYSTEM_ACTOR.label, "sms.inbound", "inbound_sms", str(inbound.id),
            {**details, "outcome": "not_served"},
        )  # fmt: skip
        return Handled(None, False, "not_served")
    line = served.line
    keyword, rest = served.keywords.parse(text)
    sender = mask_msisdn(line.msisdn)
    audit.append(
        session, now, f"subscriber:sms:{sender}", "sms.inbound", "inbound_sms", str(inbound.id),
        {**details, "keyword": keyword.value, "line": sender},
    )  # fmt: skip
    count = ratelimits.record_in_transaction(session, deps, reply_limit(deps), line.msisdn)
    if count > deps.settings.sms_replies_per_hour:
        audit.append(
            session, now, SYSTEM_ACTOR.label, "sms.reply_withheld", "inbound_sms",
            str(inbound.id), {"reason": "rate_limited", "line": sender},
        )  # fmt: skip
        return Handled(keyword, False, "rate_limited")
    reply = replies.Reply(served.locale, line.currency)
    request_id = _compose(session, deps, served, keyword, rest, reply)
    enqueue_sms_text(
        session, deps, key=key, to=line.msisdn, notice=REPLY_NOTICE, text=reply.text,
        request_id=request_id,
    )  # fmt: skip
    audit.append(
        session, now, SYSTEM_ACTOR.label, "sms.reply", "inbound_sms", str(inbound.id),
        {"keyword": keyword.value, "outbox_key": key, "line": sender},
    )  # fmt: skip
    return Handled(keyword, True, "replied")


def _compose(
    session: Session,
    deps: Deps,
    served: ServedText,
    keyword: Keyword,
    rest: str,
    reply: replies.Reply,
) -> int | None:
    line = served.line
    words = served.keywords.words
    close_word = words[Keyword.CLOSE][0]
    if keyword is Keyword.INFO:
        info.answer(session, deps, line, reply, close_word, served.short_code)
        return None
    if keyword is Keyword.CLOSE:
        return _close(session, deps, served, rest, reply, close_word)
    if keyword is Keyword.STOP:
        if session.get(SmsOptOut, line.id) is None:
            session.add(SmsOptOut(line_id=line.id, opted_out_at=deps.clock.now()))
        reply.say(replies.STOPPED, msisdn=mask_msisdn(line.msisdn), keyword=words[Keyword.START][0])
        return None
    if keyword is Keyword.START:
        opted = session.get(SmsOptOut, line.id)
        if opted is not None:
            session.delete(opted)
        reply.say(replies.STARTED, msisdn=mask_msisdn(line.msisdn))
        return None
    reply.say(replies.UNKNOWN_WORD, keywords=served.keywords.listing())
    return None


def _close(
    session: Session,
    deps: Deps,
    served: ServedText,
    rest: str,
    reply: replies.Reply,
    close_word: str,
) -> int | None:
    line = served.line
    code = "".join(ch for ch in rest if ch.isdigit())
    outcome = (
        closing.confirm(session, deps, served, code)
        if code
        else closing.start(session, deps, served)
    )
    if outcome.error in ("code_wrong", "code_expired"):
        reply.say(replies.CODE_WRONG, keyword=close_word)
    elif outcome.error == "refund_account_required":
        reply.say(replies.REFUND_ACCOUNT_NEEDED)
    elif outcome.error is not None:
        reply.say(replies.CANNOT_START)
    request = outcome.request
    if request is not None:
        reply.say(
            replies.CLOSE_STARTED, reference=request.reference, msisdn=mask_msisdn(line.msisdn)
        )
        reply.say(replies.CLOSE_STATE, state=reply.state(request.status))
        if request.status in ("needs_action", "rejected"):
            reply.blockers(request.blockers or [])
    if outcome.code is not None:
        reply.say(
            replies.CONFIRM_WITH_CODE,
            keyword=close_word,
            code=outcome.code,
            minutes=deps.settings.otp_ttl_seconds // 60,
        )
    reply.say(replies.CHECKLIST_LINK, link=portal_link(deps, line))
    return request.id if request is not None else None
