"""Who may do what: one rule per action, read by the API's route guards, the console's pages and
the read layer alike, so no channel lets a role in that another keeps out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lineclose.errors import Forbidden
from lineclose.services.context import Actor, Role, Scope

SUBSCRIBER = (Role.SUBSCRIBER,)
STAFF = (Role.AGENT, Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN)
DECIDERS = (Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN)
FRONT_DESK = (Role.SUBSCRIBER, Role.AGENT, Role.ADMIN)


class Action(StrEnum):
    READ_REQUEST = "read_request"
    VIEW_LINE = "view_line"
    PRECHECK = "precheck"
    FIX_LINE = "fix_line"
    SUBMIT = "submit"
    DECIDE = "decide"
    REVIEW_QUEUE = "review_queue"
    ESCALATIONS = "escalations"
    ASSIGN = "assign"
    OUTBOX = "outbox"
    STORE_PASSWORD_RESET = "store_password_reset"
    PORT_OUT = "port_out"
    NUMBER_STATE = "number_state"
    RECYCLING_CHECK = "recycling_check"
    SEARCH_LINES = "search_lines"
    MANAGE_CALENDARS = "manage_calendars"
    READ_AUDIT = "read_audit"
    EVENT_SUBSCRIPTIONS = "event_subscriptions"
    SYNC_LINES = "sync_lines"
    SYNC_LEDGER = "sync_ledger"
    SYNC_HOLDS = "sync_holds"
    OPERATOR_SETTINGS = "operator_settings"
    READ_OPERATOR_SETTINGS = "read_operator_settings"
    LOAD_FLEET = "load_fleet"
    READ_FLEET = "read_fleet"
    IDLE_LINES = "idle_lines"
    PAYOUTS = "payouts"
    READ_MONEY = "read_money"
    TAKE_DEBT_PAYMENT = "take_debt_payment"
    WEBHOOKS = "webhooks"
    NUMBER_RECYCLING_SELF = "number_recycling_self"


@dataclass(frozen=True)
class Rule:
    """These roles, or an integration token holding one of these scopes."""

    roles: frozenset[Role]
    scopes: frozenset[Scope] = frozenset()

    def admits(self, actor: Actor) -> bool:
        if actor.role in self.roles:
            return True
        return actor.role is Role.INTEGRATION and bool(actor.scopes & self.scopes)


def _rule(*roles: Role, scopes: tuple[Scope, ...] = ()) -> Rule:
    return Rule(frozenset(roles), frozenset(scopes))


RULES: dict[Action, Rule] = {
    Action.READ_REQUEST: _rule(*SUBSCRIBER, *STAFF, scopes=(Scope.CLOSURE_READ,)),
    Action.VIEW_LINE: _rule(*SUBSCRIBER, *STAFF),
    Action.PRECHECK: _rule(*SUBSCRIBER, *STAFF, scopes=(Scope.PRECHECK,)),
    Action.FIX_LINE: _rule(*FRONT_DESK),
    Action.SUBMIT: _rule(*FRONT_DESK, scopes=(Scope.CLOSURE_SUBMIT,)),
    Action.DECIDE: _rule(*DECIDERS),
    Action.REVIEW_QUEUE: _rule(*DECIDERS),
    Action.ESCALATIONS: _rule(Role.SUPERVISOR, Role.ADMIN),
    Action.ASSIGN: _rule(Role.SUPERVISOR, Role.ADMIN),
    # Retrying a step may send a notice again: only reviewers and admins decide that.
    Action.OUTBOX: _rule(Role.REVIEWER, Role.ADMIN),
    Action.STORE_PASSWORD_RESET: _rule(Role.AGENT, Role.ADMIN),
    Action.PORT_OUT: _rule(Role.ADMIN),
    Action.NUMBER_STATE: _rule(*STAFF),
    Action.RECYCLING_CHECK: _rule(*STAFF, scopes=(Scope.NUMBER_RECYCLING_CHECK,)),
    Action.SEARCH_LINES: _rule(*STAFF),
    Action.MANAGE_CALENDARS: _rule(Role.ADMIN),
    Action.READ_AUDIT: _rule(*STAFF),
    Action.EVENT_SUBSCRIPTIONS: _rule(*STAFF, scopes=(Scope.CLOSURE_READ,)),
    # The operator's CRM and billing keep lines and ledgers current; an admin may correct them.
    Action.SYNC_LINES: _rule(Role.ADMIN, scopes=(Scope.LINES_WRITE,)),
    Action.SYNC_LEDGER: _rule(Role.ADMIN, scopes=(Scope.LEDGER_WRITE,)),
    Action.SYNC_HOLDS: _rule(Role.ADMIN, scopes=(Scope.HOLDS_WRITE,)),
    Action.OPERATOR_SETTINGS: _rule(Role.ADMIN),
    Action.READ_OPERATOR_SETTINGS: _rule(Role.SUPERVISOR, Role.ADMIN),
    # An enterprise's authorised list is loaded at the front desk or by a supervisor.
    Action.LOAD_FLEET: _rule(Role.AGENT, Role.SUPERVISOR, Role.ADMIN),
    Action.READ_FLEET: _rule(*STAFF),
    Action.IDLE_LINES: _rule(*STAFF),
    # Money leaves the operator: batches, statements and payout accounts are for supervisors.
    Action.PAYOUTS: _rule(Role.SUPERVISOR, Role.ADMIN),
    Action.READ_MONEY: _rule(*STAFF),
    Action.TAKE_DEBT_PAYMENT: _rule(Role.SUPERVISOR, Role.ADMIN),
    Action.WEBHOOKS: _rule(Role.ADMIN),
    # CAMARA three-legged: a subscriber's own session may ask about its own number only.
    Action.NUMBER_RECYCLING_SELF: _rule(
        *SUBSCRIBER, *STAFF, scopes=(Scope.NUMBER_RECYCLING_CHECK,)
    ),
}


def allowed(actor: Actor, action: Action) -> bool:
    return RULES[action].admits(actor)


def ensure(actor: Actor, action: Action) -> None:
    """Refuse with 403 unless the actor's role (or integration scope) may take the action."""
    if not allowed(actor, action):
        raise Forbidden("your role may not do this", code="role_not_allowed")
