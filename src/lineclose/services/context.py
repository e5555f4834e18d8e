"""What every use case receives: who acts, through which channel, and the wired outside systems."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from lineclose.config import Settings
from lineclose.ports.clock import Clock
from lineclose.ports.hlr import Hlr
from lineclose.ports.messaging import EmailGateway, SmsGateway
from lineclose.security.vault import Vault


class Role(StrEnum):
    SUBSCRIBER = "subscriber"
    AGENT = "agent"
    REVIEWER = "reviewer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    INTEGRATION = "integration"
    SYSTEM = "system"


class Scope(StrEnum):
    """What an integration token (another system of the operator) may do; nothing else."""

    PRECHECK = "precheck"
    CLOSURE_SUBMIT = "closure:submit"
    CLOSURE_READ = "closure:read"
    NUMBER_RECYCLING_CHECK = "number-recycling:check"
    LINES_WRITE = "lines:write"  # subscribers, lines, bindings, last usage, lost and found
    LEDGER_WRITE = "ledger:write"  # balances, bills, payments, unbilled usage
    HOLDS_WRITE = "holds:write"  # legal holds: placed and lifted by an authority


class Channel(StrEnum):
    ONLINE = "online"
    APP = "app"
    HOTLINE = "hotline"
    STORE = "store"
    SMS = "sms"
    API = "api"
    CONSOLE = "console"
    BULK = "bulk"
    SYSTEM = "system"


STAFF_ROLES = frozenset({Role.AGENT, Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True)
class Actor:
    role: Role
    ident: str
    channel: Channel
    subscriber_id: int | None = None
    verified_line_id: int | None = None
    operator_id: int | None = None
    scopes: frozenset[Scope] = frozenset()

    @cached_property
    def label(self) -> str:
        # Cached: a batch writes it into every history row and audit entry of thousands of cards.
        return f"{self.role.value}:{self.ident}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


SYSTEM_ACTOR = Actor(Role.SYSTEM, "lineclose", Channel.SYSTEM)


@dataclass
class Deps:
    settings: Settings
    clock: Clock
    vault: Vault
    hlr: Hlr
    sms: SmsGateway
    email: EmailGateway
