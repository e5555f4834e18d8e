"""The idle-line sweep: remind subscribers once per period what an unused line costs them.

Rules: a line in service that pays a recurring fee, whose last usage is at least the profile's
`idle_after_months` ago, with no open closure and no STOP from the line, gets one SMS (and an
e-mail where the subscriber gave an address) per period: the monthly cost, how to close it
(the portal, the SMS keyword on the operator's short code) and what would block a closure.
A line with no known last-usage date is never called idle. Each run handles at most `batch`
lines per operator; the next run continues, because reminded lines are skipped by the
unique (line, period) row written with the messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, exists, insert, select
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.db.models_channels import IdleReminder, SmsOptOut
from lineclose.domain.eligibility import evaluate
from lineclose.domain.facts import ClosureIntent, IdentityMethod
from lineclose.domain.identifiers import mask_msisdn
from lineclose.domain.states import OPEN_STATES
from lineclose.services.context import SYSTEM_ACTOR, Deps
from lineclose.services.idle.rules import IDLE_RULES, months_before, period_start
from lineclose.services.lines import calendar_for, line_facts, local_today, profile_of
from lineclose.services.notices import enqueue_email_text, enqueue_sms_text
from lineclose.services.sms_keywords import replies
from lineclose.services.sms_keywords.channel import keywords_of, short_code_of
from lineclose.services.sms_keywords.handler import portal_link
from lineclose.services.sms_keywords.keywords import Keyword
from lineclose.services.views import blocker_view

IDLE_SMS = "{operator}: your line {msisdn} has not been used since {date} and costs {fee} a month."
HOW_BY_TEXT = "To close it, text {keyword} to {short_code} or go to {link}"
HOW_ONLINE = "To close it, go to {link}"
STOP_HINT = "Text {keyword} to stop these reminders."
EMAIL_SUBJECT = "{operator}: an unused line costs you {fee} a month"
ALL_MSGIDS = (IDLE_SMS, HOW_BY_TEXT, HOW_ONLINE, STOP_HINT, EMAIL_SUBJECT)
NOTICE = "idle_line_reminder"
IN_SERVICE = ("active", "suspended")


@dataclass(frozen=True)
class IdleSweepReport:
    reminded: int
    emailed: int


def idle_candidates(
    operator_id: int, cutoff: date, period: date | None, limit: int | None
) -> Select[models.Line]:
    """Lines of one operator idle since `cutoff`, with no open closure and no STOP; with a
    `period`, only those not yet reminded in it."""
    line = models.Line
    query = (
        select(line)
        .where(
            line.operator_id == operator_id,
            line.status.in_(IN_SERVICE),
            line.monthly_fee_minor > 0,
            line.last_usage_on.is_not(None),
            line.last_usage_on <= cutoff,
            ~exists().where(SmsOptOut.line_id == line.id),
            ~exists().where(
                models.ClosureRequest.line_id == line.id,
                models.ClosureRequest.status.in_([s.value for s in OPEN_STATES]),
            ),
        )
        # Longest idle first; the order the (operator, status, last use) index gives, so the
        # sweep reads idle lines in service rather than every line the operator ever had.
        .order_by(line.last_usage_on, line.id)
    )
    if period is not None:
        query = query.where(
            ~exists().where(IdleReminder.line_id == line.id, IdleReminder.period_start == period)
        )
    return query.limit(limit) if limit else query


def sweep(session: Session, deps: Deps, batch: int = 500) -> IdleSweepReport:
    now = deps.clock.now()
    reminded = emailed = 0
    for operator in session.execute(select(models.Operator).order_by(models.Operator.id)).scalars():
        profile = profile_of(operator)
        rule = IDLE_RULES.get(profile.code)
        if rule is None:
            continue
        today = local_today(profile, now)
        period = period_start(today, rule.idle_after_months)
        cutoff = months_before(today, rule.idle_after_months)
        lines = list(session.execute(idle_candidates(operator.id, cutoff, period, batch)).scalars())
        if not lines:
            continue
        code = short_code_of(session, operator.id)
        setting_words = keywords_of(session, operator).words
        rows = []
        for line in lines:
            text = _reminder_text(session, deps, line, profile.locale, code, setting_words, today)
            key = f"idle:{line.id}:{period.isoformat()}"
            enqueue_sms_text(
                session, deps, key=f"{key}:sms", to=line.msisdn, notice=NOTICE, text=text
            )
            email_enc = line.subscriber.email_enc
            if email_enc:
                subject = replies.Reply(profile.locale, line.currency)
                subject.say(
                    EMAIL_SUBJECT,
                    operator=operator.name,
                    fee=subject.money(line.monthly_fee_minor),
                )
                enqueue_email_text(
                    session, deps, key=f"{key}:email", to=deps.vault.decrypt(email_enc),
                    notice=NOTICE, subject=subject.text, text=text,
                )  # fmt: skip
                emailed += 1
            rows.append(
                {
                    "line_id": line.id,
                    "period_start": period,
                    "last_usage_on": line.last_usage_on,
                    "monthly_fee_minor": line.monthly_fee_minor,
                    "currency": line.currency,
                    "sent_at": now,
                }
            )
        session.execute(insert(IdleReminder), rows)
        reminded += len(rows)
        audit.append(
            session, now, SYSTEM_ACTOR.label, "idle.reminded", "operator", operator.code,
            {"lines": len(rows), "period_start": period.isoformat()},
        )  # fmt: skip
    return IdleSweepReport(reminded, emailed)


def _reminder_text(
    session: Session,
    deps: Deps,
    line: models.Line,
    locale: str,
    short_code: str | None,
    words: dict[Keyword, tuple[str, ...]],
    today: date,
) -> str:
    profile = profile_of(line.operator)
    result = evaluate(
        line_facts(session, line),
        ClosureIntent(identity_methods=frozenset({IdentityMethod.SMS_ORIGIN})),
        profile,
        calendar_for(session, profile),
        today,
    )
    reply = replies.Reply(locale, line.currency)
    assert line.last_usage_on is not None
    reply.say(
        IDLE_SMS,
        operator=line.operator.name,
        msisdn=mask_msisdn(line.msisdn),
        date=reply.day(line.last_usage_on),
        fee=reply.money(line.monthly_fee_minor),
    )
    link = portal_link(deps, line)
    if short_code:
        reply.say(HOW_BY_TEXT, keyword=words[Keyword.CLOSE][0], short_code=short_code, link=link)
    else:
        reply.say(HOW_ONLINE, link=link)
    if result.blockers:
        reply.blockers(blocker_view(b) for b in result.blockers)
    reply.say(STOP_HINT, keyword=words[Keyword.STOP][0])
    return reply.text
