"""Subscribers and lines: personal data sealed by the vault, numbers provisioned by the same
rules as `provisioning.add_line` (never a number still aging, in service or ported out)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from lineclose.db import models
from lineclose.db.among import among
from lineclose.domain.aging import NumberState
from lineclose.domain.identifiers import mask_id_number
from lineclose.services.data_in import records
from lineclose.services.data_in.apply_context import ApplyContext
from lineclose.services.data_in.records import Item
from lineclose.services.data_in.writer import allocate_ids, insert_rows, update_rows


def _subscriber_columns(ctx: ApplyContext, items: list[Item]) -> list[dict[str, Any]]:
    """The subscribers' columns, personal data sealed by the vault in one pass per field."""
    vault = ctx.deps.vault
    records_ = [i.record for i in items]
    names = vault.encrypt_many([r["name"] for r in records_])
    emails = vault.encrypt_many([r["email"] for r in records_])
    id_numbers = [r["id_number"] for r in records_]
    sealed_ids = vault.encrypt_many(id_numbers)
    partial = ctx.profile.id_last_six_allowed
    return [
        {
            "kind": record["subscriber_kind"],
            "name_enc": name,
            "email_enc": email,
            "id_number_enc": sealed_id,
            "id_number_index": vault.blind_index(id_number) if id_number else None,
            "id_number_masked": mask_id_number(id_number, partial) if id_number else None,
        }
        for record, name, email, id_number, sealed_id in zip(
            records_, names, emails, id_numbers, sealed_ids, strict=True
        )
    ]


def apply_subscribers(ctx: ApplyContext, new: list[Item], changed: list[Item]) -> list[Item]:
    table = models.Subscriber.__table__
    ids = allocate_ids(ctx.session, table, len(new))  # type: ignore[arg-type]
    rows = []
    for item, new_id, columns in zip(new, ids, _subscriber_columns(ctx, new), strict=True):
        item.entity_id = new_id
        rows.append(
            {"id": new_id, "operator_id": ctx.operator_id, "created_at": ctx.now, **columns}
        )
    insert_rows(ctx.session, table, rows)  # type: ignore[arg-type]
    update_rows(
        ctx.session,
        table,  # type: ignore[arg-type]
        [
            {"id": i.entity_id, **columns}
            for i, columns in zip(changed, _subscriber_columns(ctx, changed), strict=True)
        ],
    )
    return new + changed


_LINE_FIELDS = (
    "iccid",
    "imsi",
    "monthly_fee_minor",
    "billing_day",
    "activated_on",
    "fleet_account",
)


def _line_columns(record: dict[str, Any], subscriber_id: int) -> dict[str, Any]:
    return {
        "subscriber_id": subscriber_id,
        "kind": record["line_kind"],
        "payment": record["payment"],
        **{name: record[name] for name in _LINE_FIELDS},
    }


def apply_lines(ctx: ApplyContext, new: list[Item], changed: list[Item]) -> list[Item]:
    session = ctx.session
    items = new + changed
    owners = _owners(ctx, items)
    existing = ctx.lines_in_service(i.record["msisdn"] for i in items)
    taken = _serials_in_use(ctx, items)
    numbers = {
        n.msisdn: n
        for n in session.execute(
            select(models.Number).where(
                among(session, models.Number.msisdn, [i.record["msisdn"] for i in items])
            )
        ).scalars()
    }
    inserts: list[Item] = []
    updates: list[Item] = []
    seen: set[str] = set()
    for item in items:
        record = item.record
        if record["subscriber_ref"] not in owners:
            ctx.refuse(
                item,
                "subscriber_ref",
                "subscriber_ref is not a known subscriber: send it in subscribers first",
                "unknown_subscriber",
            )
            continue
        line_id = existing.get(record["msisdn"])
        clash = next(
            (
                name
                for name in ("iccid", "imsi")
                if taken.get((name, record[name]), line_id) != line_id or record[name] in seen
            ),
            None,
        )
        if clash:
            ctx.refuse(item, clash, f"{clash} is already on another line", f"{clash}_in_use")
            continue
        if line_id is None:
            refusal = _number_refusal(numbers.get(record["msisdn"]))
            if refusal:
                ctx.refuse(item, "msisdn", refusal[1], refusal[0])
                continue
            inserts.append(item)
        else:
            item.entity_id = line_id
            updates.append(item)
        seen.update((record["iccid"], record["imsi"]))
    _insert_lines(ctx, inserts, owners, numbers)
    update_rows(
        session,
        models.Line.__table__,  # type: ignore[arg-type]
        [
            {"id": i.entity_id, **_line_columns(i.record, owners[i.record["subscriber_ref"]])}
            for i in updates
        ],
    )
    for item in updates:
        ctx.touch(item.entity_id or 0, *item.changed)
    return inserts + updates


def _owners(ctx: ApplyContext, items: list[Item]) -> dict[str, int]:
    """The subscriber of each line by reference: those the batch applied as it applied them,
    the others as their records say."""
    applied = ctx.shared.subscriber_ids
    refs = {i.record["subscriber_ref"] for i in items}
    owners = {r: applied[r] for r in refs if r in applied}
    missing = refs.difference(owners)
    if missing:
        owners.update(records.entity_ids(ctx.session, ctx.operator_id, "subscribers", missing))
    return owners


def _serials_in_use(ctx: ApplyContext, items: list[Item]) -> dict[tuple[str, str], int]:
    iccids = [i.record["iccid"] for i in items]
    imsis = [i.record["imsi"] for i in items]
    rows = ctx.session.execute(
        select(models.Line.id, models.Line.iccid, models.Line.imsi).where(
            or_(
                among(ctx.session, models.Line.iccid, iccids),
                among(ctx.session, models.Line.imsi, imsis),
            )
        )
    ).all()
    taken: dict[tuple[str, str], int] = {}
    for line_id, iccid, imsi in rows:
        taken[("iccid", iccid)] = line_id
        taken[("imsi", imsi)] = line_id
    return taken


def _number_refusal(number: models.Number | None) -> tuple[str, str] | None:
    if number is None or NumberState(number.state) is NumberState.AVAILABLE:
        return None
    state = NumberState(number.state)
    if state is NumberState.AGING:
        return (
            "number_still_aging",
            f"msisdn is aging until {number.aging_until}: it cannot be given to a line before",
        )
    if state is NumberState.PORTED_OUT:
        return ("number_ported_out", "msisdn was ported out to another operator")
    return ("number_in_service", "msisdn belongs to a line in service elsewhere")


def _insert_lines(
    ctx: ApplyContext,
    items: list[Item],
    owners: dict[str, int],
    numbers: dict[str, models.Number],
) -> None:
    table = models.Line.__table__
    ids = allocate_ids(ctx.session, table, len(items))  # type: ignore[arg-type]
    rows = []
    for item, new_id in zip(items, ids, strict=True):
        record = item.record
        item.entity_id = new_id
        facts = ctx.shared.folded.get(record["msisdn"])
        if facts is not None:
            facts.line_id = new_id  # the balance and usage handlers then have nothing to write
        given = facts.columns if facts is not None else {}
        rows.append(
            {
                "id": new_id,
                "operator_id": ctx.operator_id,
                "msisdn": record["msisdn"],
                "status": "active",
                "currency": ctx.profile.currency,
                "paid_credit_minor": given.get("paid_credit_minor", 0),
                "promo_credit_minor": given.get("promo_credit_minor", 0),
                "unbilled_usage_minor": given.get("unbilled_usage_minor", 0),
                "legal_hold": False,
                "lost_reported": False,
                **_line_columns(record, owners[record["subscriber_ref"]]),
            }
        )
        if ctx.deps.settings.hlr_backend != "registry":
            ctx.new_lines.append((record["imsi"], record["msisdn"]))
    insert_rows(ctx.session, table, rows)  # type: ignore[arg-type]
    fresh = [
        {
            "msisdn": i.record["msisdn"],
            "operator_id": ctx.operator_id,
            "state": NumberState.ASSIGNED.value,
            "updated_at": ctx.now,
        }
        for i in items
        if i.record["msisdn"] not in numbers
    ]
    insert_rows(ctx.session, models.Number.__table__, fresh)  # type: ignore[arg-type]
    reused = [
        {
            "msisdn": i.record["msisdn"],
            "state": NumberState.ASSIGNED.value,
            "aging_until": None,
            "updated_at": ctx.now,
        }
        for i in items
        if i.record["msisdn"] in numbers
    ]
    update_rows(ctx.session, models.Number.__table__, reused, key="msisdn")  # type: ignore[arg-type]
    if ctx.deps.settings.hlr_backend == "registry":
        _register_in_built_in_registry(ctx, items)


def _register_in_built_in_registry(ctx: ApplyContext, items: list[Item]) -> None:
    """The built-in line registry lives in this database: its records are written with the
    lines, in the same transaction, instead of one call per line after commit."""
    imsis = [i.record["imsi"] for i in items]
    known = set(
        ctx.session.execute(
            select(models.HlrRegistryEntry.imsi).where(
                among(ctx.session, models.HlrRegistryEntry.imsi, imsis)
            )
        ).scalars()
    )
    rows = [
        {
            "imsi": i.record["imsi"],
            "msisdn": i.record["msisdn"].lstrip("+"),
            "network_access": "cs+ps",
            "updated_at": ctx.now,
        }
        for i in items
        if i.record["imsi"] not in known
    ]
    insert_rows(ctx.session, models.HlrRegistryEntry.__table__, rows)  # type: ignore[arg-type]
