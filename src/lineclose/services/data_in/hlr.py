"""New lines are created in the network's register, as the demo seed does for its lines."""

from __future__ import annotations

from lineclose.services.context import Deps


def register_new_lines(deps: Deps, lines: list[tuple[str, str]]) -> int:
    """Create an HLR record for each (imsi, msisdn) the HLR does not know; after commit only."""
    create = getattr(deps.hlr, "create_subscriber", None)
    if create is None:
        return 0
    count = 0
    for imsi, msisdn in lines:
        if deps.hlr.lookup(imsi) is None:
            create(imsi, msisdn)
            count += 1
    return count
