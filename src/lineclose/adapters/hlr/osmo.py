"""osmo-hlr, driven through its CTRL interface (IPA-framed CTRL protocol over TCP).

Every operation this adapter needs exists as a CTRL command, so VTY is not used:

- ``GET subscriber.by-imsi-<IMSI>.info`` reads the record (``No such subscriber.`` if absent);
- ``SET subscriber.by-imsi-<IMSI>.cs-enabled 0`` and ``... .ps-enabled 0`` withdraw access;
- ``SET subscriber.by-imsi-<IMSI>.msisdn none`` detaches the number;
- ``SET subscriber.delete <IMSI>`` and ``SET subscriber.create <IMSI>`` delete and create.

osmo-hlr's error texts are vague (a SET on an unknown IMSI answers only ``An error has
occurred.``), so after an ERROR to a SET the adapter reads the record again and decides from what
is stored. The one text relied upon is ``No such subscriber.`` to a GET of ``.info``, which is how
osmo-hlr reports a missing record.
"""

from __future__ import annotations

import itertools
import logging
import re
import socket
import struct
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from lineclose.ports.errors import Misconfigured, PortError, Rejected, Retryable
from lineclose.ports.hlr import HlrBar, HlrSubscriber

logger = logging.getLogger(__name__)

SYSTEM = "osmo-hlr"

# IPA framing: 2-byte big-endian length, 1-byte protocol; CTRL rides on the Osmocom
# extension protocol with a 1-byte extension id in front of the text.
_IPA_HEADER = struct.Struct(">HB")
_IPA_PROTO_CCM = 0xFE
_IPA_PROTO_OSMO = 0xEE
_IPA_OSMO_EXT_CTRL = 0x00
_IPA_CCM_PING = 0x00
_IPA_CCM_PONG = 0x01

_IMSI = re.compile(r"[0-9]{6,15}")
_MSISDN = re.compile(r"[0-9]{1,15}")

# Record ids start at 1, so this selector exercises CTRL and the database without hitting
# a subscriber.
_PING_VARIABLE = "subscriber.by-id-0.info"

# Requests sent ahead of their answers on one connection (see `_CtrlConnection.pipeline`).
_WINDOW = 200


class _ProtocolError(Exception):
    """The peer sent something that is not a well-formed answer to our request."""


@dataclass(frozen=True)
class _Reply:
    ok: bool
    text: str  # the value on success, the error message otherwise


class _CtrlConnection:
    """One TCP connection to the CTRL port. Each request must be answered within `timeout`,
    however many unrelated messages (TRAPs, IPA pings) arrive meanwhile.
    """

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        self._sock = sock
        self._timeout = timeout
        self._ids = itertools.count(1)

    def get(self, variable: str) -> _Reply:
        return self._request("GET", variable, None)

    def set(self, variable: str, value: str) -> _Reply:
        return self._request("SET", variable, value)

    def pipeline(self, requests: Sequence[tuple[str, str, str | None]]) -> list[_Reply]:
        """Send many requests before reading any answer, then collect the answers (matched by
        request id, in any order): one round trip for the lot. Windows of `_WINDOW` requests
        keep both sides' socket buffers from filling while neither reads."""
        replies: list[_Reply] = []
        for start in range(0, len(requests), _WINDOW):
            replies.extend(self._window(requests[start : start + _WINDOW]))
        return replies

    def _window(self, requests: Sequence[tuple[str, str, str | None]]) -> list[_Reply]:
        pending: dict[str, tuple[int, str, str]] = {}
        frames = bytearray()
        for index, (verb, variable, value) in enumerate(requests):
            request_id = str(next(self._ids))
            line = f"{verb} {request_id} {variable}" + ("" if value is None else f" {value}")
            payload = bytes([_IPA_OSMO_EXT_CTRL]) + line.encode("ascii")
            frames += _IPA_HEADER.pack(len(payload), _IPA_PROTO_OSMO) + payload
            pending[request_id] = (index, verb, variable)
        deadline = time.monotonic() + self._timeout * max(1, len(requests) // 100)
        self._sock.settimeout(self._timeout)
        self._sock.sendall(bytes(frames))
        replies: list[_Reply | None] = [None] * len(requests)
        while pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(pending)} of {len(requests)} requests unanswered")
            self._sock.settimeout(remaining)
            proto, payload = self._receive()
            if proto == _IPA_PROTO_CCM:
                if payload[:1] == bytes([_IPA_CCM_PING]):
                    self._send(_IPA_PROTO_CCM, bytes([_IPA_CCM_PONG]))
                continue
            if proto != _IPA_PROTO_OSMO or payload[:1] != bytes([_IPA_OSMO_EXT_CTRL]):
                continue
            text = payload[1:].decode("utf-8", errors="replace")
            reply_id = text.split(" ", 2)[1] if text.count(" ") >= 1 else ""
            if reply_id == "err":
                raise _ProtocolError(f"a pipelined request was unreadable: {text[:80]}")
            if reply_id not in pending:
                continue
            index, verb, variable = pending[reply_id]
            reply = _parse_ctrl(payload[1:], verb, reply_id, variable)
            if reply is not None:
                replies[index] = reply
                del pending[reply_id]
        return [r for r in replies if r is not None]

    def _request(self, verb: str, variable: str, value: str | None) -> _Reply:
        return self._window([(verb, variable, value)])[0]

    def _send(self, proto: int, payload: bytes) -> None:
        self._sock.sendall(_IPA_HEADER.pack(len(payload), proto) + payload)

    def _receive(self) -> tuple[int, bytes]:
        length, proto = _IPA_HEADER.unpack(self._read_exactly(_IPA_HEADER.size))
        return proto, self._read_exactly(length)

    def _read_exactly(self, size: int) -> bytes:
        chunks = bytearray()
        while len(chunks) < size:
            chunk = self._sock.recv(size - len(chunks))
            if not chunk:
                raise _ProtocolError("connection closed in the middle of a reply")
            chunks += chunk
        return bytes(chunks)


def _parse_ctrl(raw: bytes, verb: str, request_id: str, variable: str) -> _Reply | None:
    """The reply to our request, or None for messages meant for someone else (TRAPs, stale ids)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _ProtocolError("reply is not text") from exc
    kind, _, rest = text.partition(" ")
    if kind == "TRAP":
        return None
    if kind == "ERROR":
        reply_id, _, message = rest.partition(" ")
        # libosmoctrl answers "ERROR err ..." when it could not even read the request id.
        if reply_id in (request_id, "err"):
            return _Reply(ok=False, text=message.strip())
        return None
    if kind == f"{verb}_REPLY":
        reply_id, _, rest = rest.partition(" ")
        if reply_id != request_id:
            return None
        reply_variable, _, value = rest.partition(" ")
        if reply_variable != variable:
            raise _ProtocolError(f"reply names {reply_variable!r}, asked for {variable!r}")
        return _Reply(ok=True, text=value)
    raise _ProtocolError(f"unexpected CTRL message {kind!r}")


def _parse_info(value: str) -> HlrSubscriber:
    fields: dict[str, str] = {}
    for line in value.splitlines():
        name, sep, field_value = line.partition("\t")
        if sep:
            fields[name.strip()] = field_value.strip()
    imsi = fields.get("imsi")
    if not imsi:
        raise _ProtocolError("subscriber info without an IMSI")
    # Older osmo-hlr releases print nam_cs/nam_ps only when access is disabled.
    cs = fields.get("nam_cs", "1") != "0"
    ps = fields.get("nam_ps", "1") != "0"
    access = {(True, True): "cs+ps", (True, False): "cs", (False, True): "ps"}.get((cs, ps), "none")
    return HlrSubscriber(imsi=imsi, msisdn=fields.get("msisdn") or None, network_access=access)


def _check_imsi(imsi: str) -> None:
    if not _IMSI.fullmatch(imsi):
        raise Rejected(SYSTEM, f"not an IMSI: {imsi!r}")


def _normalize_msisdn(msisdn: str) -> str:
    """osmo-hlr stores the number as bare digits; a leading '+' of E.164 notation is dropped."""
    digits = msisdn.removeprefix("+")
    if not _MSISDN.fullmatch(digits):
        raise Rejected(SYSTEM, f"not an MSISDN: {msisdn!r}")
    return digits


class OsmoHlr:
    """The `Hlr` port on osmo-hlr. Each call opens its own CTRL connection, so an instance holds
    no connection state and can be shared between threads.

    osmo-hlr cannot store the idempotency `key`; idempotency comes from every operation
    converging on a target state (it only changes what differs) instead.
    """

    def __init__(self, host: str, ctrl_port: int, timeout: float = 5.0) -> None:
        self._host = host
        self._port = ctrl_port
        self._timeout = timeout

    def lookup(self, imsi: str) -> HlrSubscriber | None:
        _check_imsi(imsi)
        with self._connection() as conn:
            return self._read(conn, imsi)

    def bar(self, imsi: str, msisdn: str, key: str) -> None:
        """Disable CS and PS access and detach the MSISDN; the record stays.

        Unknown IMSI -> Misconfigured. A record carrying a different MSISDN -> Rejected with
        nothing changed, since barring it would cut off a line other than the one being closed.
        """
        _check_imsi(imsi)
        number = _normalize_msisdn(msisdn)
        with self._connection() as conn:
            current = self._read(conn, imsi)
            if current is None:
                raise Misconfigured(SYSTEM, f"no subscriber with IMSI {imsi} to bar")
            if current.msisdn is not None and current.msisdn != number:
                raise Rejected(
                    SYSTEM,
                    f"IMSI {imsi} carries MSISDN {current.msisdn}, not {number}; left unchanged",
                )
            # Access is withdrawn before the number is detached: should the call stop halfway,
            # the SIM is already unable to attach.
            if current.network_access in ("cs+ps", "cs"):
                self._set(conn, imsi, f"subscriber.by-imsi-{imsi}.cs-enabled", "0")
            if current.network_access in ("cs+ps", "ps"):
                self._set(conn, imsi, f"subscriber.by-imsi-{imsi}.ps-enabled", "0")
            if current.msisdn is not None:
                self._set(conn, imsi, f"subscriber.by-imsi-{imsi}.msisdn", "none")
            after = self._read(conn, imsi)
            if after is None:
                raise Misconfigured(SYSTEM, f"subscriber with IMSI {imsi} vanished while barring")
            if after.network_access != "none" or after.msisdn is not None:
                raise Rejected(SYSTEM, f"IMSI {imsi} still not barred after the update: {after}")
        logger.info("barred IMSI %s in osmo-hlr (key %s)", imsi, key)

    def bar_many(self, bars: Sequence[HlrBar]) -> list[PortError | None]:
        """Bar a batch over one CTRL connection, its commands pipelined: every record read in
        one round trip, every needed SET sent in the next, every record read back in a third
        (the rules of `bar` for each line)."""
        from lineclose.adapters.hlr.osmo_pipeline import bar_pipelined  # it builds on this module

        with self._connection() as conn:
            return bar_pipelined(conn, bars)

    def purge(self, imsi: str, key: str) -> None:
        """Delete the record; an absent record counts as already purged."""
        _check_imsi(imsi)
        with self._connection() as conn:
            reply = conn.set("subscriber.delete", imsi)
            if not reply.ok and self._read(conn, imsi) is not None:
                raise Rejected(SYSTEM, f"could not delete IMSI {imsi}: {reply.text}")
        logger.info("purged IMSI %s from osmo-hlr (key %s)", imsi, key)

    def ping(self) -> None:
        """Any well-formed CTRL answer, even an ERROR, proves osmo-hlr is up and serving."""
        with self._connection() as conn:
            conn.get(_PING_VARIABLE)

    def create_subscriber(self, imsi: str, msisdn: str) -> None:
        """Seed a subscriber with full access, for tests and demos. An existing IMSI or an
        MSISDN already in use -> Rejected, and nothing is left behind.
        """
        _check_imsi(imsi)
        number = _normalize_msisdn(msisdn)
        with self._connection() as conn:
            created = conn.set("subscriber.create", imsi)
            if not created.ok:
                raise Rejected(SYSTEM, f"could not create IMSI {imsi}: {created.text}")
            numbered = conn.set(f"subscriber.by-imsi-{imsi}.msisdn", number)
            if not numbered.ok:
                conn.set("subscriber.delete", imsi)
                raise Rejected(
                    SYSTEM, f"could not give IMSI {imsi} MSISDN {number}: {numbered.text}"
                )

    def _read(self, conn: _CtrlConnection, imsi: str) -> HlrSubscriber | None:
        reply = conn.get(f"subscriber.by-imsi-{imsi}.info")
        if reply.ok:
            return _parse_info(reply.text)
        if "no such subscriber" in reply.text.lower():
            return None
        raise Rejected(SYSTEM, f"could not read IMSI {imsi}: {reply.text}")

    def _set(self, conn: _CtrlConnection, imsi: str, variable: str, value: str) -> None:
        reply = conn.set(variable, value)
        if reply.ok:
            return
        if self._read(conn, imsi) is None:
            raise Misconfigured(SYSTEM, f"no subscriber with IMSI {imsi}")
        raise Rejected(SYSTEM, f"SET {variable} {value} refused: {reply.text}")

    @contextmanager
    def _connection(self) -> Iterator[_CtrlConnection]:
        """Open a CTRL connection; transport and framing failures leave as Retryable, since
        every call is idempotent and may simply be repeated.
        """
        where = f"CTRL at {self._host}:{self._port}"
        try:
            with socket.create_connection((self._host, self._port), self._timeout) as sock:
                yield _CtrlConnection(sock, self._timeout)
        except TimeoutError as exc:
            raise Retryable(SYSTEM, f"{where} timed out") from exc
        except ConnectionRefusedError as exc:
            raise Retryable(SYSTEM, f"{where} refused the connection") from exc
        except OSError as exc:
            raise Retryable(SYSTEM, f"{where} unreachable: {exc}") from exc
        except _ProtocolError as exc:
            raise Retryable(SYSTEM, f"{where} answered garbage: {exc}") from exc
