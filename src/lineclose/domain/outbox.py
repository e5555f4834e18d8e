"""The outbox's vocabulary: the steps the worker performs and the states a step row goes through."""

from __future__ import annotations

from enum import StrEnum


class Step(StrEnum):
    """A side effect the worker performs after commit, named by its outbox row's `step`."""

    BEGIN_EXECUTION = "begin_execution"
    BAR_LINE = "bar_line"
    SETTLE = "settle"
    FINALIZE = "finalize"
    PURGE_HLR = "purge_hlr"
    SEND_SMS = "send_sms"
    SEND_EMAIL = "send_email"
    BAR_PORTED_LINE = "bar_ported_line"


class OutboxStatus(StrEnum):
    """`pending` until done; given up on, `dead`, or `uncertain` when its gateway call may have
    gone through (an attempt mark stands): staff look into those before sending again."""

    PENDING = "pending"
    DONE = "done"
    DEAD = "dead"
    UNCERTAIN = "uncertain"
