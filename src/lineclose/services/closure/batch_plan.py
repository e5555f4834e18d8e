"""One card of a batch submission, decided as `submit`, `route` and `approve` decide one
request, from facts read for the whole chunk; the outcome is rows to write (the request, its
history, its notices, its first execution step), not ORM changes.

The rules kept, in the order the one-request path applies them: the line must have no open
request and not be closed; the requested date is not in the past (term-end scheduling takes the
contract's end); the refund account and alternate contact are valid; blockers send the request
back to the requester (under a batch's fleet authorisation, every card's request records that
authorisation as its identity from the start); a refund to pay needs an account; the operator's
auto-approval policy may approve at once; the batch's approver approves what reaches review,
recording only a first approval when the refund needs a second approver; an approval schedules
a later requested date or starts execution today.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from lineclose.domain.approvals import needs_second_approver
from lineclose.domain.calendars import WorkingCalendar
from lineclose.domain.contacts import validate_alternate_contact
from lineclose.domain.eligibility import Eligibility, evaluate
from lineclose.domain.facts import ClosureIntent, IdentityMethod, LineFacts
from lineclose.domain.identifiers import InvalidIdentifier
from lineclose.domain.policies import AutoApprovalPolicy, decide_auto_approval
from lineclose.domain.profiles import JurisdictionProfile
from lineclose.domain.states import Command, RequestState, next_state
from lineclose.errors import Conflict, Forbidden, InvalidInput
from lineclose.services.closure.input import ClosureInput
from lineclose.services.context import SYSTEM_ACTOR, Actor
from lineclose.services.language import needs_action_words
from lineclose.services.views import blocker_view, quote_view

# Notices a fleet batch's own submission would queue and withdraw in the same transaction.
INTAKE_NOTICES = ("needs_action", "request_received")


@dataclass(frozen=True)
class BatchSpec:
    """How a batch's cards are submitted: by whom, with what input shared by every card."""

    actor: Actor
    operator_id: int
    given: ClosureInput  # requested_date is per card (`CardIn`), the rest shared
    # Every card's identity is the batch's fleet authorisation, checked when the batch was loaded.
    fleet_authorisation: bool = False
    # Withdraw the intake notices, and the approval of a card closing at once (`quiet_notices`).
    quiet_intake: bool = False
    approver: Actor | None = None  # approves what reaches review, under the batch's approval
    note: str = ""


@dataclass(frozen=True)
class CardIn:
    line_id: int
    idempotency_key: str | None = None  # as the caller gives it; stored under the actor's label
    requested_date: date | None = None


@dataclass(frozen=True)
class Context:
    """What every card of a chunk shares: the operator's profile and calendar, today, and the
    checked input (or the refusal every card gets)."""

    now: datetime
    today: date
    profile: JurisdictionProfile
    calendar: WorkingCalendar
    policy: AutoApprovalPolicy
    operator_name: str
    methods: frozenset[IdentityMethod]
    document: str | None
    account: str | None
    # The shared input's refusals, checked in the one-request order: account, then (after
    # each card's contact) the identity evidence.
    refused_account: InvalidInput | None
    refused_identity: InvalidInput | Forbidden | None


@dataclass(frozen=True)
class Event:
    command: Command
    from_state: str | None
    to_state: str
    actor: Actor
    reason: dict[str, Any]


@dataclass(frozen=True)
class Notice:
    notice: str
    event_index: int  # the event whose id keys the notice
    values: dict[str, Any]


@dataclass
class Plan:
    line_id: int
    msisdn: str
    locale: str
    key: str | None
    contact: str | None
    request: dict[str, Any]
    events: list[Event] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    begin_execution: bool = False

    @property
    def status(self) -> str:
        return str(self.request["status"])

    def move(self, command: Command, actor: Actor, reason: dict[str, Any] | None = None) -> int:
        current = self.events[-1].to_state if self.events else None
        target = next_state(RequestState(current) if current else None, command).value
        self.request["status"] = target
        self.events.append(Event(command, current, target, actor, reason or {}))
        return len(self.events) - 1


def plan_card(
    ctx: Context,
    spec: BatchSpec,
    facts: LineFacts,
    card: CardIn,
    locale: str,
) -> Plan:
    """The card's request as the one-request path would leave it; raises its refusal."""
    requested = card.requested_date
    if requested is not None and requested < ctx.today:
        raise InvalidInput(
            f"requested_date {requested.isoformat()} is in the past: choose today or later",
            code="date_in_past",
            field="requested_date",
        )
    if spec.given.schedule_at_term_end:
        if facts.contract is None:
            raise InvalidInput(
                "schedule_at_term_end needs a line with a contract", code="no_contract"
            )
        requested = max(facts.contract.commitment_end, ctx.today)
    if ctx.refused_account is not None:
        raise ctx.refused_account
    contact = None
    if spec.given.alternate_contact:
        contact, refused = _checked_contact(spec.given.alternate_contact, facts.msisdn)
        if refused is not None:
            raise InvalidInput(str(refused), code=f"invalid_{refused.field}", field=refused.field)
    if ctx.refused_identity is not None:
        raise ctx.refused_identity
    methods = set(ctx.methods)
    if spec.fleet_authorisation:
        methods.add(IdentityMethod.FLEET_AUTHORISATION)
    given = replace(spec.given, requested_date=card.requested_date)
    plan = Plan(
        card.line_id,
        facts.msisdn,
        locale,
        card.idempotency_key,
        contact,
        {
            "operator_id": spec.operator_id,
            "line_id": card.line_id,
            "status": None,
            "channel": spec.actor.channel.value,
            "submitted_by": spec.actor.label,
            "idempotency_key": card.idempotency_key,
            "payload_digest": given.digest(facts.msisdn, spec.actor.channel.value),
            "requested_date": requested,
            "accept_etf": spec.given.accept_etf,
            "acknowledged_bindings": [],
            "identity_methods": sorted(m.value for m in methods),
            "identity_document": ctx.document,
            "blockers": [],
            "rejection": None,
            "quote": None,
            "submitted_at": ctx.now,
            "review_due_on": None,
            "escalated_at": None,
            "scheduled_for": None,
            "version": 1,
            "created_at": ctx.now,
            "updated_at": ctx.now,
        },
    )
    plan.move(Command.SUBMIT, spec.actor)
    result = _route(ctx, plan, facts, methods)
    if spec.approver is not None and plan.status == RequestState.UNDER_REVIEW.value:
        _approve(ctx, spec, plan, result)
    if spec.quiet_intake:
        quiet = quiet_notices(plan.begin_execution)
        plan.notices = [n for n in plan.notices if n.notice not in quiet]
    return plan


def quiet_notices(closing_now: bool) -> tuple[str, ...]:
    """The notices a fleet batch's card goes without: the intake ones (the batch reports to its
    contact), and the approval of a card closing at once. That card is barred in the batch that
    begins its execution, before the batch's notices go out, so the text would reach a line that
    can no longer receive it; the contact is told of its closure with the batch's summary. A card
    closing on a later date is still told its date, for whoever uses it."""
    return (*INTAKE_NOTICES, "approved") if closing_now else INTAKE_NOTICES


def _checked_contact(raw: str, msisdn: str) -> tuple[str | None, InvalidIdentifier | None]:
    """The alternate contact checked for this line; an e-mail address does not depend on the
    line, so a batch checks it once."""
    return _contact(raw, "" if "@" in raw else msisdn)


@lru_cache(maxsize=64)
def _contact(raw: str, msisdn: str) -> tuple[str | None, InvalidIdentifier | None]:
    try:
        return validate_alternate_contact(raw, msisdn), None
    except InvalidIdentifier as refused:
        return None, refused


def _route(ctx: Context, plan: Plan, facts: LineFacts, methods: set[IdentityMethod]) -> Eligibility:
    request = plan.request
    intent = ClosureIntent(
        requested_date=request["requested_date"],
        accept_etf=request["accept_etf"],
        identity_methods=frozenset(methods),
    )
    result = evaluate(facts, intent, ctx.profile, ctx.calendar, ctx.today)
    request["blockers"] = [blocker_view(b) for b in result.blockers]
    request["quote"] = {
        **quote_view(result.quote),
        "review_due_on": result.review_due_on.isoformat(),
    }
    if result.blockers:
        event = plan.move(Command.RAISE_BLOCKERS, SYSTEM_ACTOR, {"blockers": result.blocker_codes})
        action = needs_action_words(result.blocker_codes, plan.locale)
        plan.notices.append(Notice("needs_action", event, {"action": action}))
        return result
    if result.quote.refund.is_positive and not ctx.account:
        raise InvalidInput(
            "refund_account is required: this line has a balance to refund",
            code="refund_account_required",
            field="refund_account",
        )
    request["review_due_on"] = result.review_due_on
    request["escalated_at"] = None
    decision = decide_auto_approval(ctx.policy, facts, result)
    event = plan.move(
        Command.QUEUE_FOR_REVIEW,
        SYSTEM_ACTOR,
        {"review_due_on": result.review_due_on.isoformat()},
    )
    plan.notices.append(Notice("request_received", event, {}))
    if decision.approve and not _second_needed(ctx, result):
        _finish(ctx, plan, SYSTEM_ACTOR, {"auto_approved": list(decision.reasons)})
    return result


def _second_needed(ctx: Context, result: Eligibility) -> bool:
    return needs_second_approver(
        result.quote.refund.minor, ctx.profile.second_approval_refund_minor.value
    )


def _approve(ctx: Context, spec: BatchSpec, plan: Plan, result: Eligibility) -> None:
    approver = spec.approver
    assert approver is not None
    if plan.request["submitted_by"] == approver.label:
        raise Forbidden(
            "a reviewer cannot approve a request they submitted", code="four_eyes_required"
        )
    reason: dict[str, Any] = {"note": spec.note} if spec.note else {}
    if _second_needed(ctx, result):
        # A new request has no earlier approval: this one is recorded as the first.
        plan.move(
            Command.RECORD_FIRST_APPROVAL,
            approver,
            {**reason, "refund_minor": result.quote.refund.minor, "awaiting": "second"},
        )
        return
    if result.blockers:
        raise Conflict(
            "the request cannot be approved while blockers remain: "
            + ", ".join(result.blocker_codes),
            code="blockers_present",
        )
    _finish(ctx, plan, approver, reason)


def _finish(ctx: Context, plan: Plan, actor: Actor, reason: dict[str, Any]) -> None:
    event = plan.move(Command.APPROVE, actor, reason)
    requested: date | None = plan.request["requested_date"]
    later = requested is not None and requested > ctx.today
    closing_on = requested if later and requested else ctx.today
    plan.notices.append(Notice("approved", event, {"date": closing_on.isoformat()}))
    if later and requested:
        plan.request["scheduled_for"] = requested
        plan.move(Command.SCHEDULE, SYSTEM_ACTOR, {"scheduled_for": requested.isoformat()})
    else:
        plan.begin_execution = True
