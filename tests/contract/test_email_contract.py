"""The `EmailGateway` contract, held by the in-memory fake and by the SMTP adapter on aiosmtpd."""

from __future__ import annotations

import itertools
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from tests.support.smtp import SmtpSink, free_port, running_smtp

from lineclose.adapters.email.fake import InMemoryEmail
from lineclose.adapters.email.smtp import SmtpEmail, message_id_for
from lineclose.ports.errors import Misconfigured, Rejected, Retryable
from lineclose.ports.messaging import EmailGateway, EmailMessage

SENDER = "notices@lineclose.example"
SUBJECT = "号码注销完成 — closure complete"
# Full-width punctuation, CJK and a non-ASCII dash in one body.
BODY = "您好，\n\n您的号码 13800000000 已于今天注销。\nYour line is closed.\n\n— Lineclose\n"  # noqa: RUF001

_serial = itertools.count(1)


def fresh_address() -> str:
    """A new recipient per call, so tests sharing one server never see each other's mail."""
    return f"holder{next(_serial)}@example.cn"


def fresh_key(label: str) -> str:
    return f"outbox:{next(_serial)}:{label}"


@dataclass(frozen=True)
class Delivered:
    to: str
    subject: str
    body: str
    message_id: str | None


@dataclass
class Backend:
    """A gateway under test plus a view of what reached the mailbox, without its help."""

    gateway: EmailGateway
    delivered: Callable[[str, int], list[Delivered]]
    unreachable: Callable[[], EmailGateway]


def _fake_backend() -> Backend:
    fake = InMemoryEmail()

    def delivered(to: str, expected: int) -> list[Delivered]:
        return [Delivered(m.to, m.subject, m.body, None) for m in fake.sent_to(to)]

    def unreachable() -> EmailGateway:
        broken = InMemoryEmail()
        broken.down = True
        return broken

    return Backend(gateway=fake, delivered=delivered, unreachable=unreachable)


def _smtp_backend(sink: SmtpSink) -> Backend:
    def delivered(to: str, expected: int) -> list[Delivered]:
        deadline = time.monotonic() + 5

        def mine() -> list[Delivered]:
            return [
                Delivered(
                    to=str(mail.message["To"]),
                    subject=str(mail.message["Subject"]),
                    # SMTP carries lines ending in CRLF; the text is compared line by line.
                    body=mail.message.get_content().replace("\r\n", "\n"),
                    message_id=str(mail.message["Message-ID"]),
                )
                for mail in sink.messages()
                if mail.rcpt_tos == (to,)
            ]

        while len(mine()) < expected and time.monotonic() < deadline:
            time.sleep(0.02)
        return mine()

    def unreachable() -> EmailGateway:
        return SmtpEmail("127.0.0.1", free_port(), SENDER, timeout=2.0)

    gateway = SmtpEmail(sink.host, sink.port, SENDER, timeout=5.0)
    return Backend(gateway=gateway, delivered=delivered, unreachable=unreachable)


@pytest.fixture(scope="module")
def smtp_sink() -> Iterator[SmtpSink]:
    with running_smtp() as sink:
        yield sink


@pytest.fixture(params=["fake", "smtp"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "fake":
        return _fake_backend()
    return _smtp_backend(request.getfixturevalue("smtp_sink"))


class TestEmailGatewayContract:
    def test_a_message_arrives_once_with_chinese_text_intact(self, backend: Backend) -> None:
        to = fresh_address()
        key = fresh_key("done")
        message_id = backend.gateway.send(EmailMessage(to, SUBJECT, BODY, key))
        assert message_id
        [mail] = backend.delivered(to, 1)
        assert (mail.to, mail.subject, mail.body) == (to, SUBJECT, BODY)

    def test_each_send_is_a_message_even_with_the_same_key(self, backend: Backend) -> None:
        # De-duplication belongs to the outbox, not the gateway: two sends are two messages.
        to = fresh_address()
        message = EmailMessage(to, "twice", "same body", fresh_key("dup"))
        first = backend.gateway.send(message)
        second = backend.gateway.send(message)
        assert len(backend.delivered(to, 2)) == 2
        assert first and second

    def test_unreachable_server_is_retryable(self, backend: Backend) -> None:
        gateway = backend.unreachable()
        with pytest.raises(Retryable):
            gateway.send(EmailMessage(fresh_address(), "s", "b", fresh_key("down")))
        with pytest.raises(Retryable):
            gateway.ping()

    def test_ping_passes_when_up_and_only_then(self, backend: Backend) -> None:
        assert backend.gateway.ping() is None
        with pytest.raises(Retryable):
            backend.unreachable().ping()


class TestSmtpSpecifics:
    def test_message_id_is_derived_from_the_key(self, smtp_sink: SmtpSink) -> None:
        gateway = SmtpEmail(smtp_sink.host, smtp_sink.port, SENDER)
        to = fresh_address()
        key = fresh_key("retry")
        first = gateway.send(EmailMessage(to, "s", "b", key))
        second = gateway.send(EmailMessage(to, "s", "b", key))
        other = gateway.send(EmailMessage(to, "s", "b", fresh_key("other")))
        assert first == second == message_id_for(key, SENDER)
        assert other != first
        stored = [str(m.message["Message-ID"]) for m in smtp_sink.messages() if m.rcpt_tos == (to,)]
        assert stored == [first, first, other]
        assert first.endswith("@lineclose.example>")

    def test_permanent_refusal_is_rejected_and_temporary_is_retryable(self) -> None:
        with running_smtp() as sink:
            sink.recipient_rule = lambda address: (
                "550 5.1.1 No such user"
                if address.startswith("gone")
                else "451 4.3.0 Try again later"
                if address.startswith("busy")
                else None
            )
            gateway = SmtpEmail(sink.host, sink.port, SENDER)
            with pytest.raises(Rejected):
                gateway.send(EmailMessage("gone@example.cn", "s", "b", fresh_key("550")))
            with pytest.raises(Retryable):
                gateway.send(EmailMessage("busy@example.cn", "s", "b", fresh_key("451")))
            assert sink.messages() == []

    def test_wrong_credentials_are_misconfigured(self) -> None:
        with running_smtp(username="lineclose", password="right") as sink:
            good = SmtpEmail(sink.host, sink.port, SENDER, username="lineclose", password="right")
            good.send(EmailMessage(fresh_address(), "s", "b", fresh_key("auth-ok")))
            good.ping()
            bad = SmtpEmail(sink.host, sink.port, SENDER, username="lineclose", password="wrong")
            with pytest.raises(Misconfigured):
                bad.send(EmailMessage(fresh_address(), "s", "b", fresh_key("auth-bad")))
            with pytest.raises(Misconfigured):
                bad.ping()
            assert len(sink.messages()) == 1

    def test_line_break_in_subject_is_rejected(self, smtp_sink: SmtpSink) -> None:
        gateway = SmtpEmail(smtp_sink.host, smtp_sink.port, SENDER)
        with pytest.raises(Rejected):
            gateway.send(EmailMessage(fresh_address(), "a\r\nBcc: x@y", "b", fresh_key("inj")))

    def test_silent_server_times_out_as_retryable(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)  # accepts the connection but never greets
            port = listener.getsockname()[1]
            gateway = SmtpEmail("127.0.0.1", port, SENDER, timeout=0.5)
            with pytest.raises(Retryable):
                gateway.send(EmailMessage(fresh_address(), "s", "b", fresh_key("slow")))
