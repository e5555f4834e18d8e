"""INFO by SMS: what closing the line today would mean, in a few lines."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain.eligibility import evaluate
from lineclose.domain.facts import ClosureIntent, IdentityMethod
from lineclose.domain.identifiers import mask_msisdn
from lineclose.domain.settlement import early_termination_fee
from lineclose.services.context import Deps
from lineclose.services.lines import calendar_for, line_facts, local_today, profile_of
from lineclose.services.sms_keywords import replies
from lineclose.services.sms_keywords.closing import open_request
from lineclose.services.views import blocker_view


def answer(
    session: Session,
    deps: Deps,
    line: models.Line,
    reply: replies.Reply,
    close_word: str,
    short_code: str,
) -> None:
    """Contract end date, the early-termination fee if closed today, the credit to refund and
    every blocker on a line of its own. The text itself proves possession, so a missing
    identity check is not listed; the line's own open closure is shown as its status."""
    profile = profile_of(line.operator)
    today = local_today(profile, deps.clock.now())
    pending = open_request(session, line)
    facts = line_facts(session, line, exclude_request_id=pending.id if pending else None)
    result = evaluate(
        facts,
        ClosureIntent(identity_methods=frozenset({IdentityMethod.SMS_ORIGIN})),
        profile,
        calendar_for(session, profile),
        today,
    )
    reply.say(replies.INFO_HEADER, operator=line.operator.name, msisdn=mask_msisdn(line.msisdn))
    contract = session.execute(
        select(models.Contract).where(models.Contract.line_id == line.id)
    ).scalar_one_or_none()
    if facts.contract is not None and contract is not None and contract.commitment_end > today:
        reply.say(replies.INFO_CONTRACT, date=reply.day(contract.commitment_end))
        etf = early_termination_fee(facts.contract, today, line.currency)
        reply.say(replies.INFO_ETF, amount=reply.money(etf.minor))
    else:
        reply.say(replies.INFO_NO_CONTRACT)
    reply.say(replies.INFO_REFUND, amount=reply.money(result.quote.refund.minor))
    if pending is not None:
        reply.say(replies.INFO_PENDING, reference=pending.reference)
        reply.say(replies.CLOSE_STATE, state=reply.state(pending.status))
    reply.blockers(blocker_view(b) for b in result.blockers)
    if pending is None:
        reply.say(replies.HOW_TO_CLOSE, keyword=close_word, short_code=short_code)
