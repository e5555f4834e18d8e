"""The composition root: settings in, a wired application out."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lineclose.config import Settings
from lineclose.db.engine import make_engine, make_session_factory
from lineclose.ports.clock import Clock, SystemClock
from lineclose.ports.hlr import Hlr
from lineclose.ports.messaging import EmailGateway, SmsGateway
from lineclose.security import log_masking, production
from lineclose.security.vault import Vault, load_or_create_keyring, parse_keyring
from lineclose.services.context import Deps
from lineclose.services.webhooks.hooks import install as install_webhook_hooks


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    deps: Deps


def build_vault(settings: Settings) -> Vault:
    if settings.data_keys is not None:
        return Vault(parse_keyring(settings.data_keys.get_secret_value()))
    return Vault(load_or_create_keyring(settings.data_key_file))


def build_hlr(settings: Settings, sessions: sessionmaker[Session], clock: Clock) -> Hlr:
    if settings.hlr_backend == "osmo":
        from lineclose.adapters.hlr.osmo import OsmoHlr

        return OsmoHlr(settings.osmo_hlr_host, settings.osmo_hlr_ctrl_port)
    if settings.hlr_backend == "fake":
        from lineclose.adapters.hlr.fake import InMemoryHlr

        return InMemoryHlr()
    from lineclose.adapters.hlr.registry import RegistryHlr

    return RegistryHlr(sessions, clock)


def build_sms(settings: Settings) -> SmsGateway:
    if settings.sms_backend == "kannel":
        from lineclose.adapters.sms.kannel import KannelSms

        return KannelSms(
            settings.kannel_sendsms_url,
            settings.kannel_username,
            settings.kannel_password.get_secret_value(),
            settings.kannel_sender,
            dlr_url=settings.kannel_dlr_url,
        )
    if settings.sms_backend == "fake":
        from lineclose.adapters.sms.fake import InMemorySms

        return InMemorySms()
    from lineclose.adapters.sms.console import ConsoleSms

    return ConsoleSms()


def build_email(settings: Settings) -> EmailGateway:
    if settings.email_backend == "smtp":
        from lineclose.adapters.email.smtp import SmtpEmail

        return SmtpEmail(
            settings.smtp_host,
            settings.smtp_port,
            settings.email_from,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls,
        )
    if settings.email_backend == "fake":
        from lineclose.adapters.email.fake import InMemoryEmail

        return InMemoryEmail()
    from lineclose.adapters.email.console import ConsoleEmail

    return ConsoleEmail()


def bootstrap(settings: Settings | None = None, clock: Clock | None = None) -> App:
    settings = settings or Settings()
    clock = clock or SystemClock()
    log_masking.install()  # every process is wired here: no log record leaves unmasked
    production.check_production(settings)
    # Two more than the API's threads: a worker thread and a sweep may run beside them.
    engine = make_engine(settings.database_url, pool_size=settings.api_threads + 2)
    sessions = make_session_factory(engine)
    deps = Deps(
        settings=settings,
        clock=clock,
        vault=build_vault(settings),
        hlr=build_hlr(settings, sessions, clock),
        sms=build_sms(settings),
        email=build_email(settings),
    )
    install_webhook_hooks(sessions, deps)
    return App(settings, engine, sessions, deps)
