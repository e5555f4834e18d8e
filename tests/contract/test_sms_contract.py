"""The `SmsGateway` contract, held by the in-memory fake and by the Kannel adapter on a real Kannel.

The real side is bearerbox + smsbox with fakesmsc as the mobile network; Kannel's get-url and
dlr-url callbacks land on a small HTTP recorder in this file.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
from tests.support.kannel import KannelInstance, running_kannel

from lineclose.adapters.sms.fake import InMemorySms
from lineclose.adapters.sms.kannel import (
    DeliveryStatus,
    KannelSms,
    inbound_get_url,
    parse_delivery_report,
    parse_inbound,
)
from lineclose.ports.errors import Misconfigured, Rejected, Retryable
from lineclose.ports.messaging import SmsGateway, SmsMessage

SENDER = "10086"
CHINESE = "您的号码 138 注销已完成。谢谢！"  # noqa: RUF001 - full-width marks are the point

_serial = itertools.count(1)


def fresh_number() -> str:
    """A new receiver per call, so tests sharing one Kannel never see each other's messages."""
    return f"+86139{next(_serial):08d}"


def fresh_key(label: str) -> str:
    return f"outbox:{next(_serial)}:{label}"


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class CallbackRecorder:
    """Records the query parameters of every GET, by path."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: list[tuple[str, dict[str, str]]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query, keep_blank_values=True))
                with recorder._lock:
                    recorder._hits.append((parts.path, params))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(
        self, path: str, match: Callable[[dict[str, str]], bool], timeout: float = 10.0
    ) -> list[dict[str, str]]:
        """Every hit on ``path`` that ``match`` accepts, once there is at least one."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [params for hit, params in self._hits if hit == path and match(params)]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


@pytest.fixture(scope="module")
def callbacks() -> Iterator[CallbackRecorder]:
    recorder = CallbackRecorder()
    recorder.start()
    try:
        yield recorder
    finally:
        recorder.stop()


@pytest.fixture(scope="module")
def kannel(callbacks: CallbackRecorder) -> Iterator[KannelInstance]:
    with running_kannel(inbound_get_url(f"{callbacks.base_url}/inbound")) as instance:
        yield instance


def _kannel_gateway(kannel: KannelInstance, dlr_url: str | None = None) -> KannelSms:
    return KannelSms(
        kannel.sendsms_url, kannel.username, kannel.password, SENDER, dlr_url=dlr_url, timeout=5.0
    )


@dataclass
class Backend:
    """A gateway under test plus a view of what reached the network, without its help."""

    gateway: SmsGateway
    # (receiver, text) of every message that reached the network for one receiver.
    delivered: Callable[[str, int], list[tuple[str, str]]]
    # A gateway configured like `gateway` that cannot be reached.
    unreachable: Callable[[], SmsGateway]


def _fake_backend() -> Backend:
    fake = InMemorySms()

    def delivered(to: str, expected: int) -> list[tuple[str, str]]:
        return [(message.to, message.text) for message in fake.sent_to(to)]

    def unreachable() -> SmsGateway:
        broken = InMemorySms()
        broken.down = True
        return broken

    return Backend(gateway=fake, delivered=delivered, unreachable=unreachable)


def _kannel_backend(kannel: KannelInstance) -> Backend:
    def delivered(to: str, expected: int) -> list[tuple[str, str]]:
        deadline = time.monotonic() + 10

        def mine() -> list[tuple[str, str]]:
            return [(sms.receiver, sms.text) for sms in kannel.received() if sms.receiver == to]

        while len(mine()) < expected and time.monotonic() < deadline:
            time.sleep(0.05)
        # A little longer, so a duplicate on its way is counted too.
        time.sleep(0.5)
        return mine()

    def unreachable() -> SmsGateway:
        url = f"http://127.0.0.1:{_closed_port()}/cgi-bin/sendsms"
        return KannelSms(url, kannel.username, kannel.password, SENDER, timeout=2.0)

    return Backend(gateway=_kannel_gateway(kannel), delivered=delivered, unreachable=unreachable)


@pytest.fixture(params=["fake", "kannel"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "fake":
        return _fake_backend()
    return _kannel_backend(request.getfixturevalue("kannel"))


class TestSmsGatewayContract:
    def test_a_message_arrives_once_with_chinese_text_intact(self, backend: Backend) -> None:
        to = fresh_number()
        message_id = backend.gateway.send(SmsMessage(to=to, text=CHINESE, key=fresh_key("zh")))
        assert message_id
        assert backend.delivered(to, 1) == [(to, CHINESE)]

    def test_plain_text_arrives_intact(self, backend: Backend) -> None:
        to = fresh_number()
        text = "Code 493817: your line closes at 18:00. Reply STOP? {x} [y] 5% off"
        backend.gateway.send(SmsMessage(to=to, text=text, key=fresh_key("ascii")))
        assert backend.delivered(to, 1) == [(to, text)]

    def test_each_send_is_a_message_even_with_the_same_key(self, backend: Backend) -> None:
        # De-duplication belongs to the outbox, not the gateway: two sends are two messages.
        to = fresh_number()
        message = SmsMessage(to=to, text="twice", key=fresh_key("dup"))
        backend.gateway.send(message)
        backend.gateway.send(message)
        assert backend.delivered(to, 2) == [(to, "twice"), (to, "twice")]

    def test_unreachable_gateway_is_retryable(self, backend: Backend) -> None:
        gateway = backend.unreachable()
        with pytest.raises(Retryable):
            gateway.send(SmsMessage(to=fresh_number(), text="x", key=fresh_key("down")))
        with pytest.raises(Retryable):
            gateway.ping()

    def test_ping_passes_when_up_and_only_then(self, backend: Backend) -> None:
        assert backend.gateway.ping() is None
        with pytest.raises(Retryable):
            backend.unreachable().ping()


class TestKannelRefusals:
    def test_wrong_password_is_misconfigured(self, kannel: KannelInstance) -> None:
        gateway = KannelSms(kannel.sendsms_url, kannel.username, "wrong", SENDER)
        with pytest.raises(Misconfigured):
            gateway.send(SmsMessage(to=fresh_number(), text="x", key=fresh_key("auth")))
        with pytest.raises(Misconfigured):
            gateway.ping()

    def test_non_numeric_receiver_is_rejected(self, kannel: KannelInstance) -> None:
        with pytest.raises(Rejected):
            _kannel_gateway(kannel).send(SmsMessage(to="abc", text="x", key=fresh_key("bad")))

    def test_receiver_refused_by_kannel_is_rejected(self) -> None:
        # Kannel's own 400 for a receiver it refuses; answered by a stand-in smsbox so the
        # translation is checked without depending on Kannel's list settings.
        recorder = _StaticServer(
            400, "Number(s) has/have been denied by white- and/or black-lists."
        )
        try:
            gateway = KannelSms(recorder.url, "u", "p", SENDER)
            with pytest.raises(Rejected):
                gateway.send(SmsMessage(to=fresh_number(), text="x", key=fresh_key("bl")))
        finally:
            recorder.stop()

    def test_server_error_is_retryable_and_queued_is_success(self) -> None:
        failing = _StaticServer(503, "Service unavailable")
        queued = _StaticServer(202, "3: Queued for later delivery")
        try:
            with pytest.raises(Retryable):
                KannelSms(failing.url, "u", "p", SENDER).send(
                    SmsMessage(to=fresh_number(), text="x", key=fresh_key("5xx"))
                )
            key = fresh_key("queued")
            sent = KannelSms(queued.url, "u", "p", SENDER).send(
                SmsMessage(to=fresh_number(), text="x", key=key)
            )
            assert sent == key
        finally:
            failing.stop()
            queued.stop()

    def test_timeout_is_retryable(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the connection but never answers
        try:
            url = f"http://127.0.0.1:{listener.getsockname()[1]}/cgi-bin/sendsms"
            gateway = KannelSms(url, "u", "p", SENDER, timeout=0.5)
            with pytest.raises(Retryable):
                gateway.send(SmsMessage(to=fresh_number(), text="x", key=fresh_key("slow")))
        finally:
            listener.close()


class _StaticServer:
    """Answers every GET with one status and body."""

    def __init__(self, status: int, body: str) -> None:
        payload = body.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/cgi-bin/sendsms"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class TestKannelCallbacks:
    def test_delivery_report_carries_the_key(
        self, kannel: KannelInstance, callbacks: CallbackRecorder
    ) -> None:
        # The key holds characters Kannel would otherwise read as %-codes once URL-encoded.
        key = fresh_key("dlr") + "/é ü%C3&x=1"
        to = fresh_number()
        gateway = _kannel_gateway(kannel, dlr_url=f"{callbacks.base_url}/dlr?tenant=t1")
        assert gateway.send(SmsMessage(to=to, text=CHINESE, key=key)) == key

        hits = callbacks.wait_for("/dlr", lambda params: params.get("to") == to)
        reports = [parse_delivery_report(params) for params in hits]
        for _ in range(50):
            if any(report.status is DeliveryStatus.DELIVERED for report in reports):
                break
            time.sleep(0.1)
            hits = callbacks.wait_for("/dlr", lambda params: params.get("to") == to)
            reports = [parse_delivery_report(params) for params in hits]
        assert {report.key for report in reports} == {key}
        assert all(params["tenant"] == "t1" for params in hits)
        delivered = [r for r in reports if r.status is DeliveryStatus.DELIVERED]
        assert len(delivered) == 1
        assert delivered[0].kannel_type == 1
        assert delivered[0].to == to
        assert delivered[0].smsc_id == "fake"
        assert delivered[0].reported_at is not None

    def test_inbound_message_is_parsed_with_chinese_intact(
        self, kannel: KannelInstance, callbacks: CallbackRecorder
    ) -> None:
        sender = fresh_number()
        text = "确认注销 YES  两个空格"
        before = datetime.now(UTC).replace(microsecond=0)
        kannel.inject(sender, SENDER, text)

        hits = callbacks.wait_for("/inbound", lambda params: params.get("sender") == sender)
        assert len(hits) == 1
        inbound = parse_inbound(hits[0])
        assert inbound.sender == sender
        assert inbound.receiver == SENDER
        assert inbound.text == text
        assert inbound.smsc_id == "fake"
        assert inbound.received_at is not None
        assert before <= inbound.received_at <= datetime.now(UTC)


class TestParsers:
    def test_report_types_map_to_statuses(self) -> None:
        expected = {
            "1": DeliveryStatus.DELIVERED,
            "2": DeliveryStatus.FAILED,
            "4": DeliveryStatus.BUFFERED,
            "8": DeliveryStatus.BUFFERED,
            "16": DeliveryStatus.FAILED,
        }
        for code, status in expected.items():
            assert parse_delivery_report({"key": "k", "type": code}).status is status

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"type": "1"}, "'key'"),
            ({"key": "k"}, "'type'"),
            ({"key": "k", "type": "x"}, "not a number"),
            ({"key": "k", "type": "3"}, "unknown type 3"),
            ({"key": "k", "type": "1", "time": "yesterday"}, "Unix seconds"),
        ],
    )
    def test_bad_delivery_reports_are_refused(self, params: dict[str, str], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            parse_delivery_report(params)

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"receiver": "10086", "text": "x"}, "'sender'"),
            ({"sender": "+8613900000000", "text": "x"}, "'receiver'"),
            ({"sender": "+8613900000000", "receiver": "10086"}, "'text'"),
            (
                {"sender": "+86139", "receiver": "10086", "text": "x", "charset": "UTF-16BE"},
                "mo-recode",
            ),
            ({"sender": "+86139", "receiver": "1", "text": "x", "time": "noon"}, "Unix seconds"),
        ],
    )
    def test_bad_inbound_is_refused(self, params: dict[str, str], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            parse_inbound(params)

    def test_inbound_allows_empty_text_and_missing_time(self) -> None:
        inbound = parse_inbound({"sender": "+8613900000000", "receiver": "10086", "text": ""})
        assert inbound.text == ""
        assert inbound.received_at is None
