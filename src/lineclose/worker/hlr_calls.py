"""The HLR exchanges of a batch of claimed steps: bars together, purges one call each."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from lineclose.db.outbox import Claimed
from lineclose.domain.outbox import Step
from lineclose.ports.errors import PortError
from lineclose.ports.hlr import Hlr, HlrBar
from lineclose.services.execution_sets import line_identities


def bars(sessions: sessionmaker[Session], step: str, group: list[Claimed]) -> list[HlrBar]:
    """The bars to send: a ported line's from its step, the others from their requests' lines."""
    if step == Step.BAR_PORTED_LINE:
        return [HlrBar(c.payload["imsi"], c.payload["msisdn"], c.key) for c in group]
    with sessions() as session:
        lines = line_identities(session, group)
    if any(c.request_id not in lines for c in group):
        raise ValueError("a closure step names a request that does not exist")
    return [HlrBar(*lines[c.request_id or 0], c.key) for c in group]


def purges(hlr: Hlr, group: list[Claimed]) -> list[PortError | None]:
    """Each purge's refusal, or None, in the group's order."""
    outcomes: list[PortError | None] = []
    for claimed in group:
        try:
            hlr.purge(claimed.payload["imsi"], claimed.key)
            outcomes.append(None)
        except PortError as exc:
            outcomes.append(exc)
    return outcomes
