"""The closure request's state machine: one table decides every move, everything else is refused."""

from __future__ import annotations

import itertools

import pytest

from lineclose.domain.states import (
    OPEN_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    Command,
    RequestState,
    TransitionRefused,
    allowed_commands,
    next_state,
)

S = RequestState
C = Command

ALL_ORIGINS: list[RequestState | None] = [None, *RequestState]

EXPECTED_TRANSITIONS: dict[tuple[RequestState | None, Command], RequestState] = {
    (None, C.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, C.RAISE_BLOCKERS): S.NEEDS_ACTION,
    (S.SUBMITTED, C.QUEUE_FOR_REVIEW): S.UNDER_REVIEW,
    (S.SUBMITTED, C.WITHDRAW): S.WITHDRAWN,
    (S.NEEDS_ACTION, C.RESUBMIT): S.SUBMITTED,
    (S.NEEDS_ACTION, C.WITHDRAW): S.WITHDRAWN,
    (S.UNDER_REVIEW, C.RECORD_FIRST_APPROVAL): S.UNDER_REVIEW,
    (S.UNDER_REVIEW, C.APPROVE): S.APPROVED,
    (S.UNDER_REVIEW, C.REJECT): S.REJECTED,
    (S.UNDER_REVIEW, C.WITHDRAW): S.WITHDRAWN,
    (S.REJECTED, C.RESUBMIT): S.SUBMITTED,
    (S.REJECTED, C.WITHDRAW): S.WITHDRAWN,
    (S.APPROVED, C.SCHEDULE): S.SCHEDULED,
    (S.APPROVED, C.EXECUTE): S.EXECUTING,
    (S.APPROVED, C.WITHDRAW): S.WITHDRAWN,
    (S.SCHEDULED, C.EXECUTE): S.EXECUTING,
    (S.SCHEDULED, C.WITHDRAW): S.WITHDRAWN,
    (S.EXECUTING, C.COMPLETE): S.CLOSED,
}

ALL_PAIRS = list(itertools.product(ALL_ORIGINS, list(Command)))
REFUSED_PAIRS = [pair for pair in ALL_PAIRS if pair not in EXPECTED_TRANSITIONS]


def _pair_id(pair: tuple[RequestState | None, Command]) -> str:
    state, command = pair
    return f"{state.value if state else 'new'}-{command.value}"


def test_the_transition_table_is_exactly_the_documented_workflow() -> None:
    assert TRANSITIONS == EXPECTED_TRANSITIONS


@pytest.mark.parametrize("pair", list(EXPECTED_TRANSITIONS), ids=_pair_id)
def test_every_listed_transition_is_allowed(pair: tuple[RequestState | None, Command]) -> None:
    state, command = pair
    assert next_state(state, command) is EXPECTED_TRANSITIONS[pair]


@pytest.mark.parametrize("pair", REFUSED_PAIRS, ids=_pair_id)
def test_every_unlisted_transition_is_refused(pair: tuple[RequestState | None, Command]) -> None:
    state, command = pair
    with pytest.raises(TransitionRefused) as refused:
        next_state(state, command)
    assert refused.value.state is state
    assert refused.value.command is command


# Every (state, command) cell written out: the target state, or "." where the command is refused.
# Columns: submit, raise_blockers, queue_for_review, resubmit, approve, record_first_approval,
# reject, schedule, execute, complete, withdraw. Rows and cells use the short names below.
SHORT = {
    "new": None,
    "sub": S.SUBMITTED,
    "act": S.NEEDS_ACTION,
    "rev": S.UNDER_REVIEW,
    "rej": S.REJECTED,
    "apr": S.APPROVED,
    "sch": S.SCHEDULED,
    "exe": S.EXECUTING,
    "clo": S.CLOSED,
    "wdr": S.WITHDRAWN,
}
GRID = """
     sub blk que res apr 1st rej sch exe cmp wdr
new  sub  .   .   .   .   .   .   .   .   .   .
sub   .  act rev  .   .   .   .   .   .   .  wdr
act   .   .   .  sub  .   .   .   .   .   .  wdr
rev   .   .   .   .  apr rev rej  .   .   .  wdr
rej   .   .   .  sub  .   .   .   .   .   .  wdr
apr   .   .   .   .   .   .   .  sch exe  .  wdr
sch   .   .   .   .   .   .   .   .  exe  .  wdr
exe   .   .   .   .   .   .   .   .   .  clo  .
clo   .   .   .   .   .   .   .   .   .   .   .
wdr   .   .   .   .   .   .   .   .   .   .   .
"""
GRID_COLUMNS = [
    C.SUBMIT,
    C.RAISE_BLOCKERS,
    C.QUEUE_FOR_REVIEW,
    C.RESUBMIT,
    C.APPROVE,
    C.RECORD_FIRST_APPROVAL,
    C.REJECT,
    C.SCHEDULE,
    C.EXECUTE,
    C.COMPLETE,
    C.WITHDRAW,
]


def _grid() -> dict[tuple[RequestState | None, Command], RequestState | None]:
    cells: dict[tuple[RequestState | None, Command], RequestState | None] = {}
    for row in GRID.strip().splitlines()[1:]:
        origin, *targets = row.split()
        assert len(targets) == len(GRID_COLUMNS), row
        for command, target in zip(GRID_COLUMNS, targets, strict=True):
            cells[(SHORT[origin], command)] = None if target == "." else SHORT[target]
    return cells


def test_the_grid_covers_every_state_and_command_once() -> None:
    assert set(GRID_COLUMNS) == set(Command)
    assert set(_grid()) == set(ALL_PAIRS)


@pytest.mark.parametrize("pair", ALL_PAIRS, ids=_pair_id)
def test_each_state_and_command_does_what_the_written_grid_says(
    pair: tuple[RequestState | None, Command],
) -> None:
    state, command = pair
    expected = _grid()[pair]
    if expected is None:
        with pytest.raises(TransitionRefused):
            next_state(state, command)
    else:
        assert next_state(state, command) is expected


@pytest.mark.parametrize(
    "state",
    [S.SUBMITTED, S.NEEDS_ACTION, S.UNDER_REVIEW, S.REJECTED, S.APPROVED, S.SCHEDULED],
)
def test_withdraw_is_allowed_from_every_state_before_executing(state: RequestState) -> None:
    assert next_state(state, C.WITHDRAW) is S.WITHDRAWN


@pytest.mark.parametrize("state", [None, S.EXECUTING, S.CLOSED, S.WITHDRAWN])
def test_withdraw_is_refused_once_executing_closed_withdrawn_or_not_yet_submitted(
    state: RequestState | None,
) -> None:
    with pytest.raises(TransitionRefused):
        next_state(state, C.WITHDRAW)


@pytest.mark.parametrize("state", sorted(TERMINAL_STATES))
def test_terminal_states_accept_no_command(state: RequestState) -> None:
    assert allowed_commands(state) == []
    for command in Command:
        with pytest.raises(TransitionRefused):
            next_state(state, command)


def test_a_new_request_can_only_be_submitted() -> None:
    assert allowed_commands(None) == [C.SUBMIT]


def test_refusal_message_names_the_state_and_the_command_in_words() -> None:
    with pytest.raises(TransitionRefused, match="a request that is closed cannot raise blockers"):
        next_state(S.CLOSED, C.RAISE_BLOCKERS)


def test_refusal_message_calls_a_missing_request_new() -> None:
    with pytest.raises(TransitionRefused, match="a request that is new cannot approve"):
        next_state(None, C.APPROVE)


@pytest.mark.parametrize(
    ("state", "commands"),
    [
        (None, {C.SUBMIT}),
        (S.SUBMITTED, {C.RAISE_BLOCKERS, C.QUEUE_FOR_REVIEW, C.WITHDRAW}),
        (S.NEEDS_ACTION, {C.RESUBMIT, C.WITHDRAW}),
        (S.UNDER_REVIEW, {C.RECORD_FIRST_APPROVAL, C.APPROVE, C.REJECT, C.WITHDRAW}),
        (S.REJECTED, {C.RESUBMIT, C.WITHDRAW}),
        (S.APPROVED, {C.SCHEDULE, C.EXECUTE, C.WITHDRAW}),
        (S.SCHEDULED, {C.EXECUTE, C.WITHDRAW}),
        (S.EXECUTING, {C.COMPLETE}),
        (S.CLOSED, set()),
        (S.WITHDRAWN, set()),
    ],
)
def test_allowed_commands_lists_exactly_the_moves_out_of_a_state(
    state: RequestState | None, commands: set[Command]
) -> None:
    listed = allowed_commands(state)
    assert set(listed) == commands
    assert len(listed) == len(commands)


@pytest.mark.parametrize("state", ALL_ORIGINS, ids=lambda s: s.value if s else "new")
def test_allowed_commands_agree_with_next_state(state: RequestState | None) -> None:
    allowed = set(allowed_commands(state))
    for command in Command:
        if command in allowed:
            next_state(state, command)
        else:
            with pytest.raises(TransitionRefused):
                next_state(state, command)


def test_open_and_terminal_states_partition_all_states() -> None:
    assert OPEN_STATES.isdisjoint(TERMINAL_STATES)
    assert set(RequestState) == OPEN_STATES | TERMINAL_STATES
    assert {S.CLOSED, S.WITHDRAWN} == TERMINAL_STATES


def test_every_open_state_has_a_way_forward() -> None:
    for state in OPEN_STATES:
        assert allowed_commands(state), state
