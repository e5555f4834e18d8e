"""Barring a batch of lines in osmo-hlr over one CTRL connection, its commands pipelined.

Three round trips for the whole batch, whatever its size: every record read, every needed SET
(access withdrawn before the number is detached, as `OsmoHlr.bar` does), every changed record
read back. The rules are `bar`'s, line by line: an unknown IMSI is Misconfigured, a record
carrying another MSISDN is Rejected and left unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

from lineclose.adapters.hlr.osmo import (
    SYSTEM,
    _check_imsi,
    _CtrlConnection,
    _normalize_msisdn,
    _parse_info,
    _Reply,
)
from lineclose.ports.errors import Misconfigured, PortError, Rejected
from lineclose.ports.hlr import HlrBar, HlrSubscriber


def _info(imsi: str) -> tuple[str, str, None]:
    return ("GET", f"subscriber.by-imsi-{imsi}.info", None)


def _record(imsi: str, reply: _Reply) -> HlrSubscriber | PortError | None:
    if reply.ok:
        return _parse_info(reply.text)
    if "no such subscriber" in reply.text.lower():
        return None
    return Rejected(SYSTEM, f"could not read IMSI {imsi}: {reply.text}")


def bar_pipelined(conn: _CtrlConnection, bars: Sequence[HlrBar]) -> list[PortError | None]:
    outcomes: list[PortError | None] = [None] * len(bars)
    numbers: dict[int, str] = {}
    for index, bar in enumerate(bars):
        try:
            _check_imsi(bar.imsi)
            numbers[index] = _normalize_msisdn(bar.msisdn)
        except Rejected as exc:
            outcomes[index] = exc
    order = list(numbers)
    reads = conn.pipeline([_info(bars[i].imsi) for i in order])
    sets: list[tuple[str, str, str | None]] = []
    set_owner: list[int] = []
    changed: list[int] = []
    for index, reply in zip(order, reads, strict=True):
        imsi = bars[index].imsi
        current = _record(imsi, reply)
        if isinstance(current, PortError):
            outcomes[index] = current
            continue
        if current is None:
            outcomes[index] = Misconfigured(SYSTEM, f"no subscriber with IMSI {imsi} to bar")
            continue
        if current.msisdn is not None and current.msisdn != numbers[index]:
            outcomes[index] = Rejected(
                SYSTEM, f"IMSI {imsi} carries MSISDN {current.msisdn}, not {numbers[index]}; "
                "left unchanged",
            )  # fmt: skip
            continue
        commands = []
        if current.network_access in ("cs+ps", "cs"):
            commands.append(("SET", f"subscriber.by-imsi-{imsi}.cs-enabled", "0"))
        if current.network_access in ("cs+ps", "ps"):
            commands.append(("SET", f"subscriber.by-imsi-{imsi}.ps-enabled", "0"))
        if current.msisdn is not None:
            commands.append(("SET", f"subscriber.by-imsi-{imsi}.msisdn", "none"))
        if commands:
            sets.extend(commands)
            set_owner.extend([index] * len(commands))
            changed.append(index)
    refused: dict[int, str] = {}
    for index, reply in zip(set_owner, conn.pipeline(sets), strict=True):
        if not reply.ok:
            refused.setdefault(index, reply.text)
    after = conn.pipeline([_info(bars[i].imsi) for i in changed])
    for index, reply in zip(changed, after, strict=True):
        imsi = bars[index].imsi
        record = _record(imsi, reply)
        if isinstance(record, PortError):
            outcomes[index] = record
        elif record is None:
            outcomes[index] = Misconfigured(SYSTEM, f"subscriber with IMSI {imsi} vanished")
        elif record.network_access != "none" or record.msisdn is not None:
            why = refused.get(index, "still not barred after the update")
            outcomes[index] = Rejected(SYSTEM, f"IMSI {imsi} not barred: {why}")
    return outcomes
