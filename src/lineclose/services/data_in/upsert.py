"""One batch of validated rows of one kind: classify against what the source last said, write
the new and the changed with set-based statements, audit the changes, re-check open requests.

Idempotent by construction: a row whose keyed digest matches the last one changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.services.context import Deps
from lineclose.services.data_in import facts, people, records, wide_records
from lineclose.services.data_in.apply_context import ApplyContext, Reject, Shared
from lineclose.services.data_in.audit_many import Entry, append_many
from lineclose.services.data_in.records import Item
from lineclose.services.data_in.reevaluate import reevaluate_open_requests
from lineclose.services.data_in.writer import lock_operator
from lineclose.services.lines import profile_of

Handler = Callable[[ApplyContext, list[Item], list[Item]], list[Item]]

HANDLERS: dict[str, Handler] = {
    "subscribers": people.apply_subscribers,
    "lines": people.apply_lines,
    "balances": facts.apply_balances,
    "unbilled_usage": facts.apply_unbilled_usage,
    "last_usage": facts.apply_last_usage,
    "contracts": facts.apply_contracts,
    "bills": facts.apply_bills,
    "payments": facts.apply_payments,
    "bindings": facts.apply_bindings,
    "legal_holds": facts.apply_legal_holds,
    "lost_reports": facts.apply_lost_reports,
}


LINE_FACTS = frozenset(
    {"balances", "unbilled_usage", "last_usage", "contracts", "legal_holds", "lost_reports"}
)


@dataclass
class BatchResult:
    """Outcomes by source row number (a wide row carries several records)."""

    inserted: set[int] = field(default_factory=set)
    updated: set[int] = field(default_factory=set)
    unchanged: set[int] = field(default_factory=set)
    rejects: list[Reject] = field(default_factory=list)
    new_lines: list[tuple[str, str]] = field(default_factory=list)
    reevaluated: list[str] = field(default_factory=list)
    changed_fields: list[str] = field(default_factory=list)

    def add(self, other: BatchResult) -> None:
        self.inserted |= other.inserted
        self.updated |= other.updated
        self.unchanged |= other.unchanged
        self.rejects.extend(other.rejects)
        self.changed_fields = sorted({*self.changed_fields, *other.changed_fields})
        self.new_lines.extend(other.new_lines)
        self.reevaluated.extend(other.reevaluated)


def apply_batch(
    session: Session,
    deps: Deps,
    operator: models.Operator,
    kind: str,
    items: list[Item],
    actor: str,
    via: str,
    shared: Shared | None = None,
) -> BatchResult:
    """Apply one kind's validated rows for one operator; the caller owns the transaction.
    `shared` carries what the batch's earlier kinds learnt and wrote (see `Shared`)."""
    result = BatchResult()
    if not items:
        return result
    lock_operator(session, operator.id)
    ctx = ApplyContext(session, deps, operator.id, profile_of(operator), deps.clock.now())
    if shared is not None:
        ctx.shared = shared
    last: dict[str, Item] = {}
    for item in items:
        if item.key in last:
            result.unchanged.add(last[item.key].row)  # superseded by a later row, same key
        last[item.key] = item
    if shared is not None and kind in shared.known:
        known, wide = shared.known[kind], shared.wide
    else:
        loaded, wide = wide_records.load(session, operator.id, {kind: set(last)})
        known = loaded[kind]
    if kind in LINE_FACTS:
        # A number given to a new line after aging: what the source said about the old line
        # does not hold for the new one, so its facts are applied afresh.
        current = ctx.lines_in_service(last)
        stale: set[str] = {k for k, v in known.items() if v.entity_id != current.get(k)}
    else:
        stale = set()
    new: list[Item] = []
    changed: list[Item] = []
    same: list[Item] = []
    # Items validated in another process come digested (`packed`); the others are digested here.
    records.digest_items(records.digest_key(deps.vault), [i for i in last.values() if not i.digest])
    for item in last.values():
        seen = item.seen = known.get(item.key)
        if seen is None:
            new.append(item)
        elif seen.digest == item.digest and item.key not in stale:
            result.unchanged.add(item.row)
            same.append(item)
        else:
            item.known_id = seen.id
            if item.key in stale:
                item.changed = sorted(item.field_digests)
            else:
                item.entity_id = seen.entity_id
                item.changed = records.changed_fields(item, seen.field_digests)
            changed.append(item)
    accepted_items = HANDLERS[kind](ctx, new, changed)
    accepted = {id(i) for i in accepted_items}
    if kind == "lines":
        # Lines were written: what was learnt before no longer holds, but the lines just
        # written are in service, by construction.
        ctx.in_service.clear()
        ctx.in_service.update({i.record["msisdn"]: i.entity_id for i in accepted_items})
    new = [i for i in new if id(i) in accepted]
    changed = [i for i in changed if id(i) in accepted]
    if kind == "subscribers" and shared is not None:
        for i in (*new, *changed, *same):
            entity = i.entity_id if i.entity_id is not None else getattr(i.seen, "entity_id", None)
            if entity is not None:
                shared.subscriber_ids[i.key] = entity
    if shared is not None and shared.wide_file and kind in wide_records.FOLDED:
        shared.parts.extend((*new, *changed, *same))  # one wide record per number, batch end
    else:
        wide_records.save_kind(session, operator.id, ctx.now, new, changed, wide)
    entries = [
        Entry(
            "data.updated",
            kind,
            records.shown_key(kind, i.key),
            {"via": via, "operator": operator.code, "fields": i.changed},
        )
        for i in changed
    ]
    if new:
        entries.append(
            Entry(
                "data.inserted",
                kind,
                records.shown_key(kind, new[0].key) if len(new) == 1 else f"{len(new)} records",
                {"via": via, "operator": operator.code, "count": len(new)},
            )
        )
    append_many(session, ctx.now, actor, entries)
    result.inserted.update(i.row for i in new)
    result.updated.update(i.row for i in changed)
    result.rejects.extend(ctx.rejects)
    result.new_lines.extend(ctx.new_lines)
    result.changed_fields = sorted({f for i in changed for f in i.changed})
    result.reevaluated = reevaluate_open_requests(ctx, actor, via)
    return result
