"""What every use case receives: who acts, through which channel, and the wired outside systems."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lineclose.config import Settings
from lineclose.ports.clock import Clock
from lineclose.ports.hlr import Hlr
from lineclose.ports.messaging import EmailGateway, SmsGateway
from lineclose.security.vault import Vault


class Role(StrEnum):
    SUBSCRIBER = "subscriber"
    AGENT = "agent"
    REVIEWER = "reviewer"
    ADMIN = "admin"
    SYSTEM = "system"


class Channel(StrEnum):
    ONLINE = "online"
    APP = "app"
    HOTLINE = "hotline"
    STORE = "store"
    SMS = "sms"
    API = "api"
    BULK = "bulk"
    SYSTEM = "system"


STAFF_ROLES = frozenset({Role.AGENT, Role.REVIEWER, Role.ADMIN})


@dataclass(frozen=True)
class Actor:
    role: Role
    ident: str
    channel: Channel
    subscriber_id: int | None = None
    verified_line_id: int | None = None
    operator_id: int | None = None

    @property
    def label(self) -> str:
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
