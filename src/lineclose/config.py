"""Typed settings, read once from the environment (prefix LINECLOSE_) and injected from bootstrap."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LINECLOSE_", extra="ignore")

    database_url: str = "sqlite:///var/lineclose.db"
    data_keys: SecretStr | None = Field(
        default=None, description="keyring as id:base64[,id:base64]; the first key encrypts"
    )
    data_key_file: Path = Path("var/data.key")
    public_base_url: str = "http://127.0.0.1:8000"

    hlr_backend: Literal["registry", "osmo", "fake"] = "registry"
    osmo_hlr_host: str = "127.0.0.1"
    osmo_hlr_ctrl_port: int = 4259

    sms_backend: Literal["console", "kannel", "fake"] = "console"
    kannel_sendsms_url: str = "http://127.0.0.1:13013/cgi-bin/sendsms"
    kannel_username: str = "lineclose"
    kannel_password: SecretStr = SecretStr("")
    kannel_sender: str = "Lineclose"
    kannel_dlr_url: str | None = None

    email_backend: Literal["console", "smtp", "fake"] = "console"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    email_from: str = "no-reply@lineclose.invalid"

    otp_ttl_seconds: int = 300
    otp_max_attempts: int = 5
    session_ttl_seconds: int = 1800
    otp_resend_min_seconds: int = 60
    otp_sends_per_hour: int = 5
    otp_lockout_failures: int = Field(
        default=10, description="wrong codes for one line, across challenges, before a lock-out"
    )
    otp_lockout_seconds: int = 3600
    evidence_lockout_failures: int = Field(
        default=5,
        description="wrong ID numbers or service passwords for one line before its identity "
        "checks lock, on every channel",
    )
    evidence_lockout_failures_per_caller: int = Field(
        default=20,
        description="wrong identity evidence from one caller, across lines, before a lock",
    )
    evidence_lockout_seconds: int = 86400
    precheck_per_minute: int = 30
    certificate_checks_per_minute: int = 20
    sms_replies_per_hour: int = Field(
        default=10, description="SMS keyword replies to one number per hour; texts beyond get none"
    )

    api_threads: int = Field(
        default=40,
        description="threads serving sync routes in one API process; its database pool holds "
        "as many connections, plus a few for a worker thread",
    )
    worker_batch: int = Field(
        default=500,
        description="closure steps a worker claims and performs per batch (fewer when a "
        "batch would hold its transaction longer than a quarter of a second)",
    )

    worker_poll_seconds: float = 0.5
    worker_lease_seconds: int = 60
    worker_max_attempts: int = 8

    sms_report_wait_seconds: int = Field(
        default=120,
        description="how long an interrupted SMS send waits for a delivery report before it is "
        "marked uncertain",
    )
    sms_callback_secret: SecretStr | None = Field(
        default=None,
        description="shared secret Kannel's get-url and dlr-url carry as ?secret=; "
        "the callbacks refuse every call while it is unset",
    )
    payout_dir: Path = Field(
        default=Path("var/payouts"),
        description="folder the refund payout files (pain.001, CSV) are written to for the bank",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, description="how long a webhook receiver has to answer before a retry"
    )
    production: bool = Field(
        default=False,
        description="production mode: no /docs, /redoc or /openapi.json, no demo gateways, "
        "/metrics only with metrics_token",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="bearer token /metrics asks for; in production /metrics answers 404 while unset",
    )
    trusted_proxies: str = Field(
        default="",
        description="comma-separated addresses or networks of the reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed; empty: none",
    )
    ratelimit_storage: str = Field(
        default="memory://",
        description="where rate-limit counters live: memory:// (one process) or "
        "redis://host:port (shared by every process)",
    )
    supervisor_emails: str = Field(
        default="",
        description="comma-separated addresses told by e-mail of every review escalated "
        "past its due date",
    )
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"
