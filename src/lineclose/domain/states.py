"""The closure request's states and the one table that says which command moves which state."""

from __future__ import annotations

from enum import StrEnum


class RequestState(StrEnum):
    SUBMITTED = "submitted"
    NEEDS_ACTION = "needs_action"
    UNDER_REVIEW = "under_review"
    REJECTED = "rejected"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    EXECUTING = "executing"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class Command(StrEnum):
    SUBMIT = "submit"
    RAISE_BLOCKERS = "raise_blockers"
    QUEUE_FOR_REVIEW = "queue_for_review"
    RESUBMIT = "resubmit"
    APPROVE = "approve"
    # A refund above the profile's threshold needs two approvers: the first is recorded as this
    # command, which leaves the request under review for a second, different reviewer.
    RECORD_FIRST_APPROVAL = "record_first_approval"
    REJECT = "reject"
    SCHEDULE = "schedule"
    EXECUTE = "execute"
    COMPLETE = "complete"
    WITHDRAW = "withdraw"


S = RequestState
C = Command

# The only place a status changes. `None` is a request that does not exist yet.
TRANSITIONS: dict[tuple[RequestState | None, Command], RequestState] = {
    (None, C.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, C.RAISE_BLOCKERS): S.NEEDS_ACTION,
    (S.SUBMITTED, C.QUEUE_FOR_REVIEW): S.UNDER_REVIEW,
    (S.NEEDS_ACTION, C.RESUBMIT): S.SUBMITTED,
    (S.UNDER_REVIEW, C.RECORD_FIRST_APPROVAL): S.UNDER_REVIEW,
    (S.UNDER_REVIEW, C.APPROVE): S.APPROVED,
    (S.UNDER_REVIEW, C.REJECT): S.REJECTED,
    (S.REJECTED, C.RESUBMIT): S.SUBMITTED,
    (S.APPROVED, C.SCHEDULE): S.SCHEDULED,
    (S.APPROVED, C.EXECUTE): S.EXECUTING,
    (S.SCHEDULED, C.EXECUTE): S.EXECUTING,
    (S.EXECUTING, C.COMPLETE): S.CLOSED,
    **{
        (state, C.WITHDRAW): S.WITHDRAWN
        for state in (
            S.SUBMITTED,
            S.NEEDS_ACTION,
            S.UNDER_REVIEW,
            S.REJECTED,
            S.APPROVED,
            S.SCHEDULED,
        )
    },
}

OPEN_STATES = frozenset(
    {S.SUBMITTED, S.NEEDS_ACTION, S.UNDER_REVIEW, S.REJECTED, S.APPROVED, S.SCHEDULED, S.EXECUTING}
)
TERMINAL_STATES = frozenset({S.CLOSED, S.WITHDRAWN})


class TransitionRefused(Exception):
    def __init__(self, state: RequestState | None, command: Command) -> None:
        shown = state.value if state else "new"
        super().__init__(f"a request that is {shown} cannot {command.value.replace('_', ' ')}")
        self.state = state
        self.command = command


def next_state(state: RequestState | None, command: Command) -> RequestState:
    try:
        return TRANSITIONS[(state, command)]
    except KeyError:
        raise TransitionRefused(state, command) from None


def allowed_commands(state: RequestState | None) -> list[Command]:
    return [command for (origin, command) in TRANSITIONS if origin == state]
