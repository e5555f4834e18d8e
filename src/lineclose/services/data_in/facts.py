"""The facts that hang on a line: balances, usage, contracts, bills, payments, bindings, legal
holds and lost reports. Each changes only what the source says changed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select

from lineclose.db import models
from lineclose.db.among import among
from lineclose.db.models_data_in import LegalHold, LineActivity
from lineclose.services.data_in import records
from lineclose.services.data_in.apply_context import ApplyContext, FoldedFacts
from lineclose.services.data_in.records import Item
from lineclose.services.data_in.writer import allocate_ids, insert_rows, update_rows

_BALANCE = {"paid_credit_minor": "paid_credit_minor", "promo_credit_minor": "promo_credit_minor"}
_USAGE = {"unbilled_usage_minor": "unbilled_usage_minor"}
_FOLDED = {"balances": _BALANCE, "unbilled_usage": _USAGE}


def folded(items: dict[str, list[Item]]) -> dict[str, FoldedFacts]:
    """The balance and usage columns a batch gives each number, the last row winning as it
    does when applied: a line the batch creates is inserted with them."""
    found: dict[str, FoldedFacts] = {}
    for kind, columns in _FOLDED.items():
        for item in items.get(kind, ()):
            facts = found.setdefault(item.record["msisdn"], FoldedFacts({}))
            facts.columns.update({col: item.record[src] for col, src in columns.items()})
    return found


def _line_update(
    ctx: ApplyContext, items: list[Item], columns: dict[str, str], why: str
) -> list[Item]:
    """Facts kept on the line itself: one batched update of the given columns, but for the
    lines this batch inserted with these very values."""
    kept = ctx.resolve_lines(items)
    rows = []
    for i in kept:
        values = {col: i.record[src] for col, src in columns.items()}
        facts = ctx.shared.folded.get(i.record["msisdn"])
        written = facts is not None and facts.line_id == i.record["_line_id"]
        if not written or any(facts.columns.get(c) != v for c, v in values.items()):  # type: ignore[union-attr]
            rows.append({"id": i.record["_line_id"], **values})
    update_rows(ctx.session, models.Line.__table__, rows)  # type: ignore[arg-type]
    for item in kept:
        ctx.touch(item.record["_line_id"], why)
    return kept


def apply_balances(ctx: ApplyContext, new: list[Item], changed: list[Item]) -> list[Item]:
    return _line_update(ctx, new + changed, _BALANCE, "balance")


def apply_unbilled_usage(ctx: ApplyContext, new: list[Item], changed: list[Item]) -> list[Item]:
    return _line_update(ctx, new + changed, _USAGE, "unbilled_usage")


def apply_lost_reports(ctx: ApplyContext, new: list[Item], changed: list[Item]) -> list[Item]:
    for item in new + changed:
        item.record["_lost"] = item.record["found_on"] is None
    return _line_update(ctx, new + changed, {"lost_reported": "_lost"}, "lost_report")


def _by_line(
    ctx: ApplyContext,
    items: list[Item],
    table: Table,
    columns: dict[str, Any],
    why: str,
) -> list[Item]:
    """Facts in a table of their own, one row per line: insert or update that row."""
    kept = ctx.resolve_lines(items)
    present = set(
        ctx.session.execute(
            select(table.c.line_id).where(
                among(ctx.session, table.c.line_id, [i.record["_line_id"] for i in kept])
            )
        ).scalars()
    )
    rows = [{"line_id": i.record["_line_id"], **columns_of(i, columns)} for i in kept]
    insert_rows(ctx.session, table, [r for r in rows if r["line_id"] not in present])
    update_rows(ctx.session, table, [r for r in rows if r["line_id"] in present], key="line_id")
    for item in kept:
        ctx.touch(item.record["_line_id"], why)
    return kept


def columns_of(item: Item, columns: dict[str, Any]) -> dict[str, Any]:
    return {
        col: src(item.record) if callable(src) else item.record[src] for col, src in columns.items()
    }


def apply_last_usage(ctx: ApplyContext, new: list[Item], changed: list[Item]) -> list[Item]:
    table = LineActivity.__table__
    return _by_line(ctx, new + changed, table, {"last_usage_on": "last_usage_on"}, "last_usage")  # type: ignore[arg-type]


_CONTRACT = {
    name: name
    for name in (
        "commitment_end",
        "etf_rule",
        "etf_fixed_minor",
        "etf_monthly_minor",
        "processing_fee_minor",
    )
}


def apply_contracts(ctx: ApplyContext, new: list[Item], changed: list[Item]) -> list[Item]:
    table = models.Contract.__table__
    return _by_line(ctx, new + changed, table, _CONTRACT, "contract")  # type: ignore[arg-type]


def apply_legal_holds(ctx: ApplyContext, new: list[Item], changed: list[Item]) -> list[Item]:
    vault = ctx.deps.vault
    columns: dict[str, Any] = {
        "reason": "reason",
        "requested_by_enc": lambda r: (
            vault.encrypt(r["requested_by"]) if r["requested_by"] else None
        ),
        "placed_on": "placed_on",
        "lifted_on": "lifted_on",
    }
    kept = _by_line(ctx, new + changed, LegalHold.__table__, columns, "legal_hold")  # type: ignore[arg-type]
    update_rows(
        ctx.session,
        models.Line.__table__,  # type: ignore[arg-type]
        [{"id": i.record["_line_id"], "legal_hold": i.record["lifted_on"] is None} for i in kept],
    )
    return kept


def _bill_columns(ctx: ApplyContext, record: dict[str, Any]) -> dict[str, Any]:
    return {
        "period_start": record["period_start"],
        "period_end": record["period_end"],
        "amount_minor": record["amount_minor"],
        "currency": record["currency"],
        "due_on": record["due_on"],
        "paid_at": ctx.moment(record["paid_on"]),
    }


def apply_bills(ctx: ApplyContext, new: list[Item], changed: list[Item]) -> list[Item]:
    new = ctx.resolve_lines(new)
    changed = ctx.resolve_lines(changed)
    table = models.Bill.__table__
    ids = allocate_ids(ctx.session, table, len(new))  # type: ignore[arg-type]
    rows = []
    for item, new_id in zip(new, ids, strict=True):
        item.entity_id = new_id
        rows.append(
            {
                "id": new_id,
                "line_id": item.record["_line_id"],
                "kind": "periodic",
                "lines_json": [{"label": "Bill", "amount_minor": item.record["amount_minor"]}],
                **_bill_columns(ctx, item.record),
            }
        )
    insert_rows(ctx.session, table, rows)  # type: ignore[arg-type]
    update_rows(
        ctx.session,
        table,  # type: ignore[arg-type]
        [{"id": i.entity_id, **_bill_columns(ctx, i.record)} for i in changed],
    )
    for item in new + changed:
        ctx.touch(item.record["_line_id"], "bills")
    return new + changed


def apply_payments(ctx: ApplyContext, new: list[Item], changed: list[Item]) -> list[Item]:
    """A payment is a fact of the past: it is recorded once and never rewritten. One that
    settles a bill in full marks the bill paid."""
    for item in changed:
        ctx.refuse(
            item,
            "reference",
            "reference was already used for a payment with other values: use a new reference",
            "payment_reference_reused",
        )
    kept = ctx.resolve_lines(new)
    bills = records.entity_ids(
        ctx.session,
        ctx.operator_id,
        "bills",
        (i.record["bill_id"] for i in kept if i.record["bill_id"]),
    )
    used = set(
        ctx.session.execute(
            select(models.Payment.reference).where(
                models.Payment.reference.in_([i.key for i in kept])
            )
        ).scalars()
    )
    accepted: list[Item] = []
    for item in kept:
        if item.key in used:
            ctx.refuse(
                item,
                "reference",
                "reference is already used by another payment",
                "payment_reference_reused",
            )
        elif item.record["bill_id"] and item.record["bill_id"] not in bills:
            ctx.refuse(
                item,
                "bill_id",
                "bill_id is not a known bill: send it in bills first",
                "unknown_bill",
            )
        else:
            accepted.append(item)
    table = models.Payment.__table__
    ids = allocate_ids(ctx.session, table, len(accepted))  # type: ignore[arg-type]
    rows = []
    for item, new_id in zip(accepted, ids, strict=True):
        record = item.record
        item.entity_id = new_id
        rows.append(
            {
                "id": new_id,
                "line_id": record["_line_id"],
                "bill_id": bills.get(record["bill_id"]) if record["bill_id"] else None,
                "kind": "bill" if record["bill_id"] else "topup",
                "amount_minor": record["amount_minor"],
                "currency": record["currency"],
                "reference": item.key,
                "created_at": ctx.moment(record["paid_on"]),
            }
        )
    insert_rows(ctx.session, table, rows)  # type: ignore[arg-type]
    _settle_bills(ctx, rows)
    return accepted


def _settle_bills(ctx: ApplyContext, payments: list[dict[str, Any]]) -> None:
    wanted = {p["bill_id"]: p for p in payments if p["bill_id"]}
    if not wanted:
        return
    unpaid = ctx.session.execute(
        select(models.Bill.id, models.Bill.amount_minor, models.Bill.line_id).where(
            models.Bill.id.in_(list(wanted)), models.Bill.paid_at.is_(None)
        )
    ).all()
    settled = [
        {"id": bill_id, "paid_at": wanted[bill_id]["created_at"]}
        for bill_id, amount, _ in unpaid
        if wanted[bill_id]["amount_minor"] >= amount
    ]
    update_rows(ctx.session, models.Bill.__table__, settled)  # type: ignore[arg-type]
    for _bill_id, _, line_id in unpaid:
        ctx.touch(line_id, "bills")


def _binding_columns(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "category": record["category"],
        "notify_on_closure": bool(record["notify_email"] or record["notify_url"]),
        "notify_email": record["notify_email"],
        "notify_url": record["notify_url"],
        "bound_on": record["bound_on"],
        "unbound_on": record["unbound_on"],
    }


def apply_bindings(ctx: ApplyContext, new: list[Item], changed: list[Item]) -> list[Item]:
    new = ctx.resolve_lines(new)
    changed = ctx.resolve_lines(changed)
    table = models.Binding.__table__
    ids = allocate_ids(ctx.session, table, len(new))  # type: ignore[arg-type]
    rows = []
    for item, new_id in zip(new, ids, strict=True):
        item.entity_id = new_id
        rows.append(
            {
                "id": new_id,
                "line_id": item.record["_line_id"],
                "service": item.record["service"],
                **_binding_columns(item.record),
            }
        )
    insert_rows(ctx.session, table, rows)  # type: ignore[arg-type]
    update_rows(
        ctx.session,
        table,  # type: ignore[arg-type]
        [{"id": i.entity_id, **_binding_columns(i.record)} for i in changed],
    )
    for item in new + changed:
        ctx.touch(item.record["_line_id"], "bindings")
    return new + changed
