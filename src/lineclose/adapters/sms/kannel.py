"""Kannel, driven through smsbox's ``/cgi-bin/sendsms`` HTTP interface.

Sending: one GET per message with ``username``, ``password``, ``from``, ``to``, ``text``,
``charset=UTF-8`` and ``coding``. Text that fits the GSM 7-bit default alphabet goes with
``coding=0`` (160 characters a part); anything else, Chinese included, goes with ``coding=2`` so
Kannel converts the UTF-8 text to UCS-2 (70 characters a part). When a delivery-report URL is
configured, ``dlr-mask`` asks for every report type and ``dlr-url`` carries the message key.

smsbox answers ``202 0: Accepted for delivery`` or ``202 3: Queued for later delivery`` (both
mean Kannel now owns the message), ``403 Authorization failed for sendsms`` for bad credentials
and ``400 ...`` for a request it refuses (empty or black-listed receiver). It never tells the
caller its own message id, so :meth:`KannelSms.send` returns the message key: the key is what the
delivery-report URL carries back, so it is the id reports are matched by.

Inbound messages reach Lineclose through an ``sms-service`` whose ``get-url`` is built by
:func:`inbound_get_url`; delivery reports reach the ``dlr_url`` given to :class:`KannelSms`.
:func:`parse_inbound` and :func:`parse_delivery_report` read the query parameters of those
callbacks.
"""

from __future__ import annotations

import logging
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import quote

import httpx

from lineclose.ports.errors import Misconfigured, Rejected, Retryable, Unconfirmed
from lineclose.ports.messaging import SmsMessage

logger = logging.getLogger(__name__)

SYSTEM = "kannel"

# Report types Kannel substitutes for %d in a dlr-url: 1 delivered to the phone, 2 not delivered
# to the phone, 4 buffered in the network, 8 accepted by the SMSC, 16 refused by the SMSC.
DLR_DELIVERED = 1
DLR_UNDELIVERED = 2
DLR_BUFFERED = 4
DLR_SMSC_ACCEPTED = 8
DLR_SMSC_REJECTED = 16
DLR_MASK_ALL = (
    DLR_DELIVERED | DLR_UNDELIVERED | DLR_BUFFERED | DLR_SMSC_ACCEPTED | DLR_SMSC_REJECTED
)

# Query string appended to the inbound callback URL in the sms-service's get-url. %b is the
# message text as received (%a would collapse runs of white space), %T the arrival time in Unix
# seconds, %C the character set of the text.
INBOUND_QUERY = "sender=%p&receiver=%P&text=%b&time=%T&smsc=%i&id=%I&charset=%C"

# Query string appended to dlr_url after the key. In a delivery report %p is the phone the
# original message went to and %A is the SMSC's own report text.
_DLR_QUERY = "type=%d&to=%p&time=%T&smsc=%i&reply=%A"

_ACCEPTED = re.compile(r"^\s*[03]:")
_RECEIVER = re.compile(r"^\+?[0-9]{3,20}$")

# GSM 03.38 default alphabet and its extension table: text made only of these characters can
# travel as 7-bit data; anything else needs UCS-2.
_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    "\f^{}\\[~]|€"
)


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"
    BUFFERED = "buffered"


_STATUS_BY_TYPE = {
    DLR_DELIVERED: DeliveryStatus.DELIVERED,
    DLR_UNDELIVERED: DeliveryStatus.FAILED,
    DLR_BUFFERED: DeliveryStatus.BUFFERED,
    DLR_SMSC_ACCEPTED: DeliveryStatus.BUFFERED,
    DLR_SMSC_REJECTED: DeliveryStatus.FAILED,
}


@dataclass(frozen=True)
class InboundSms:
    sender: str
    receiver: str
    text: str
    received_at: datetime | None  # UTC; None when Kannel did not know the arrival time
    smsc_id: str | None
    gateway_id: str | None  # Kannel's own id of the message


@dataclass(frozen=True)
class DeliveryReport:
    key: str  # the key of the SmsMessage this report is about
    status: DeliveryStatus
    kannel_type: int
    to: str | None
    reported_at: datetime | None
    smsc_id: str | None
    smsc_reply: str | None


def needs_ucs2(text: str) -> bool:
    """True when the text has a character outside the GSM 7-bit alphabet."""
    return any(ch not in _GSM7 for ch in text)


def inbound_get_url(callback_url: str) -> str:
    """The ``get-url`` pattern for the ``sms-service`` that forwards inbound messages.

    The matching smsbox configuration is::

        group = smsbox
        mo-recode = true          # UCS-2 messages reach the callback as UTF-8
        ...

        group = sms-service
        keyword = default
        catch-all = true
        max-messages = 0          # the callback's answer is not sent back as an SMS
        get-url = "https://lineclose.example/hooks/sms/inbound?sender=%p&receiver=%P&text=%b&time=%T&smsc=%i&id=%I&charset=%C"

    which is ``inbound_get_url("https://lineclose.example/hooks/sms/inbound")``.
    """
    return _append_query(_escape_pattern(callback_url), INBOUND_QUERY)


def delivery_report_url(dlr_url: str, key: str) -> str:
    """The ``dlr-url`` sent with a message: ``dlr_url`` plus the key and Kannel's report fields."""
    key_param = "key=" + _escape_pattern(quote(key, safe=""))
    return _append_query(_escape_pattern(dlr_url), f"{key_param}&{_DLR_QUERY}")


def parse_inbound(params: Mapping[str, str]) -> InboundSms:
    """Read an inbound message from the query parameters of a get-url callback.

    ``sender``, ``receiver`` and ``text`` are required (``text`` may be empty); ``time`` is Unix
    seconds when present. The text must be UTF-8: Kannel reports another ``charset`` only when
    ``mo-recode`` is off or the message is binary, and such text cannot be read from a decoded
    query string.
    """
    sender = _required(params, "sender")
    receiver = _required(params, "receiver")
    if "text" not in params:
        raise ValueError("inbound SMS: missing parameter 'text'")
    charset = params.get("charset", "").strip()
    if charset and charset.upper().replace("_", "-") not in ("UTF-8", "UTF8"):
        raise ValueError(
            f"inbound SMS: text arrived as {charset!r}, expected UTF-8 "
            "(set mo-recode = true in the smsbox group; binary messages are not supported)"
        )
    return InboundSms(
        sender=sender,
        receiver=receiver,
        text=params["text"],
        received_at=_optional_time(params, "time", "inbound SMS"),
        smsc_id=params.get("smsc") or None,
        gateway_id=params.get("id") or None,
    )


def parse_delivery_report(params: Mapping[str, str]) -> DeliveryReport:
    """Read a delivery report from the query parameters of a dlr-url callback.

    ``key`` and ``type`` are required. Kannel's type 1 means delivered; 2 (not delivered to the
    phone) and 16 (refused by the SMSC) mean failed; 4 (buffered) and 8 (accepted by the SMSC)
    mean the message is still on its way.
    """
    key = _required(params, "key")
    raw_type = _required(params, "type")
    try:
        kannel_type = int(raw_type)
    except ValueError:
        raise ValueError(f"delivery report: 'type' is not a number: {raw_type!r}") from None
    status = _STATUS_BY_TYPE.get(kannel_type)
    if status is None:
        known = ", ".join(str(code) for code in sorted(_STATUS_BY_TYPE))
        raise ValueError(f"delivery report: unknown type {kannel_type} (known: {known})")
    return DeliveryReport(
        key=key,
        status=status,
        kannel_type=kannel_type,
        to=params.get("to") or None,
        reported_at=_optional_time(params, "time", "delivery report"),
        smsc_id=params.get("smsc") or None,
        smsc_reply=params.get("reply") or None,
    )


class KannelSms:
    """An SmsGateway that hands messages to Kannel's smsbox."""

    def __init__(
        self,
        sendsms_url: str,
        username: str,
        password: str,
        sender: str,
        dlr_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._url = sendsms_url
        self._username = username
        self._password = password
        self._sender = sender
        self._dlr_url = dlr_url
        self._timeout = timeout
        self.reports_delivery = dlr_url is not None
        # Built once: a TLS context costs tens of milliseconds, too much for every message.
        self._tls = ssl.create_default_context()

    def send(self, message: SmsMessage) -> str:
        """Hand the message to smsbox and return its key, the id delivery reports carry.

        Raises Retryable when smsbox cannot be reached, times out or answers 5xx; Misconfigured
        when it refuses the credentials or the URL is not a sendsms endpoint; Rejected when it
        refuses the message.
        """
        if not _RECEIVER.match(message.to):
            # smsbox splits "to" on spaces into several receivers, so anything but a plain
            # number is refused here rather than risk sending to someone else.
            raise Rejected(SYSTEM, f"receiver is not a phone number: {message.to!r}")
        params = {
            "username": self._username,
            "password": self._password,
            "from": self._sender,
            "to": message.to,
            "text": message.text,
            "charset": "UTF-8",
            "coding": "2" if needs_ucs2(message.text) else "0",
        }
        if self._dlr_url is not None:
            params["dlr-mask"] = str(DLR_MASK_ALL)
            params["dlr-url"] = delivery_report_url(self._dlr_url, message.key)
        response = self._get(params)
        body = response.text.strip()
        if response.is_success and _ACCEPTED.match(body):
            logger.info("kannel accepted sms key=%s: %s", message.key, body)
            return message.key
        self._raise_for(response, body)
        raise Rejected(SYSTEM, f"unexpected answer {response.status_code}: {body[:200]}")

    def ping(self) -> None:
        """Check that smsbox answers and accepts the credentials, without sending anything.

        A sendsms request without a receiver passes the credential check and is then refused
        with 400, so a 400 is the healthy answer.
        """
        response = self._get({"username": self._username, "password": self._password})
        if response.status_code == 400:
            return
        self._raise_for(response, response.text.strip())
        raise Misconfigured(
            SYSTEM, f"unexpected answer to a probe: {response.status_code} {response.text[:200]}"
        )

    def _get(self, params: Mapping[str, str]) -> httpx.Response:
        # Exception texts are kept but not chained: httpx types stay inside this adapter, and
        # the request URL (which holds the password) is never part of the detail.
        try:
            return httpx.get(self._url, params=params, timeout=self._timeout, verify=self._tls)
        except (httpx.ReadTimeout, httpx.RemoteProtocolError) as exc:
            # The request reached smsbox and its answer was lost: it may have queued the message.
            detail = f"no answer from smsbox: {type(exc).__name__}"
            raise Unconfirmed(SYSTEM, detail) from None
        except httpx.TimeoutException as exc:
            detail = f"timed out after {self._timeout}s: {type(exc).__name__}"
            raise Retryable(SYSTEM, detail) from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise Misconfigured(SYSTEM, f"bad sendsms URL: {exc}") from None
        except httpx.TransportError as exc:
            detail = f"cannot reach smsbox: {type(exc).__name__}: {exc}"
            raise Retryable(SYSTEM, detail) from None
        except httpx.HTTPError as exc:
            detail = f"sendsms request failed: {type(exc).__name__}: {exc}"
            raise Retryable(SYSTEM, detail) from None

    @staticmethod
    def _raise_for(response: httpx.Response, body: str) -> None:
        status = response.status_code
        detail = f"{status} {body[:200]}"
        if status >= 500:
            raise Retryable(SYSTEM, detail)
        if status in (401, 403):
            raise Misconfigured(SYSTEM, f"credentials refused: {detail}")
        if status == 404:
            raise Misconfigured(SYSTEM, f"no sendsms service at the configured URL: {detail}")
        if status >= 400:
            raise Rejected(SYSTEM, detail)


def _escape_pattern(text: str) -> str:
    # Kannel expands %-codes in get-url and dlr-url patterns (%A, %C, %d... and so the
    # percent-escapes of an encoded URL like %C3); a doubled %% comes out as one literal %.
    return text.replace("%", "%%")


def _append_query(url: str, query: str) -> str:
    if "?" not in url:
        return f"{url}?{query}"
    if url.endswith(("?", "&")):
        return url + query
    return f"{url}&{query}"


def _required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "").strip()
    if not value:
        raise ValueError(f"missing or empty parameter {name!r}")
    return value


def _optional_time(params: Mapping[str, str], name: str, what: str) -> datetime | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        seconds = int(raw)
    except ValueError:
        raise ValueError(f"{what}: {name!r} is not Unix seconds: {raw!r}") from None
    return datetime.fromtimestamp(seconds, tz=UTC)
