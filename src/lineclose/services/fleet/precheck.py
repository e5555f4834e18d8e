"""A fleet file's cards found and prechecked in sets.

The cards' lines are read as plain rows (one query per chunk and kind of identifier), their
facts as columns (`services.bulk`), and the rules evaluated per set of cards sharing a closure
date (`domain.eligibility_sets`); a card's whole verdict is built by the single-line
`evaluate` only where it is needed: for a blocked card's blockers, and while the batch may
still be auto-approved. The batch's lines are written with one statement per chunk.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.db.among import among
from lineclose.db.bulk_writes import insert_rows
from lineclose.db.models_fleet import FleetBatchLine
from lineclose.domain.eligibility import evaluate
from lineclose.domain.eligibility_sets import SetVerdicts, evaluate_set
from lineclose.domain.facts import ClosureIntent, IdentityMethod, LineStatus
from lineclose.domain.policies import AutoApprovalPolicy, decide_auto_approval
from lineclose.services.bulk import LINE_COLUMNS, columns_of_lines
from lineclose.services.context import Deps
from lineclose.services.fleet.rows import CardRow
from lineclose.services.lines import calendar_for, local_today, profile_of
from lineclose.services.views import blocker_view

CHUNK = 5_000
# A row of `bulk.LINE_COLUMNS`.
LineRow = Row[*tuple[Any, ...]]


def resolve_lines(session: Session, operator_id: int, rows: Sequence[CardRow]) -> dict[int, int]:
    """The id of the line in service at the operator for each row (by row number) that names
    one. Ids only: the lines are read again a chunk at a time to be prechecked, rather than
    held whole from here to there (about half of the load's memory)."""
    found: dict[int, int] = {}
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        for column, attribute in ((models.Line.msisdn, "msisdn"), (models.Line.iccid, "iccid")):
            wanted = {getattr(r, attribute): r.row_number for r in chunk if getattr(r, attribute)}
            if not wanted:
                continue
            for line_id, identifier in session.execute(
                select(models.Line.id, column).where(
                    among(session, column, wanted),
                    models.Line.operator_id == operator_id,
                    models.Line.status != LineStatus.CLOSED,
                )
            ):
                found[wanted[identifier]] = line_id
    return found


def _line_rows(session: Session, ids: set[int]) -> list[LineRow]:
    """`bulk.LINE_COLUMNS` of these lines, in id order."""
    return list(
        session.execute(
            select(*LINE_COLUMNS)
            .where(among(session, models.Line.id, ids))
            .order_by(models.Line.id)
        )
    )


def precheck_cards(
    session: Session,
    deps: Deps,
    operator: models.Operator,
    batch_id: int,
    rows: Sequence[CardRow],
    lines: dict[int, int],
) -> dict[str, Any]:
    """Precheck every card as closed on its date under the fleet authorisation and write the
    batch's lines; returns the summary reviewers see."""
    profile = profile_of(operator)
    calendar = calendar_for(session, profile)
    today = local_today(profile, deps.clock.now())
    policy = AutoApprovalPolicy.from_settings(operator.auto_approval)
    methods = frozenset({IdentityMethod.FLEET_AUTHORISATION})
    intents: dict[date | None, ClosureIntent] = {}
    blockers: Counter[str] = Counter()
    refund = clean = 0
    auto = True
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        # A card listed by its number and again by its serial is one line: its facts once.
        distinct = _line_rows(session, {lines[r.row_number] for r in chunk})
        position = {line[0]: i for i, line in enumerate(distinct)}
        columns = columns_of_lines(session, distinct)
        verdicts: dict[date | None, SetVerdicts] = {}
        for when in {r.requested_date for r in chunk}:
            intents.setdefault(when, ClosureIntent(requested_date=when, identity_methods=methods))
            verdicts[when] = evaluate_set(columns, intents[when], profile, calendar, today)
        values = []
        for row in chunk:
            i = position[lines[row.row_number]]
            verdict = verdicts[row.requested_date]
            codes = verdict.blocker_codes[i]
            shown: list[dict[str, Any]] = []
            if codes or auto:
                facts = columns.line(i)
                result = evaluate(facts, intents[row.requested_date], profile, calendar, today)
                shown = [blocker_view(b) for b in result.blockers]
                auto = auto and decide_auto_approval(policy, facts, result).approve
            blockers.update(codes)
            clean += not codes
            refund += verdict.refund_minor[i]
            values.append(
                {
                    "batch_id": batch_id,
                    "row_number": row.row_number,
                    "line_id": distinct[i][0],
                    "requested_date": row.requested_date,
                    "state": "blocked" if codes else "clean",
                    "blockers": shown,
                    "refund_minor": verdict.refund_minor[i],
                    "request_id": None,
                    "error": None,
                }
            )
        insert_rows(session, FleetBatchLine, values)
    return {
        "lines": len(rows),
        "clean": clean,
        "blocked": len(rows) - clean,
        "blockers": dict(blockers.most_common()),
        "refund_minor": refund,
        "currency": profile.currency,
        "auto_approvable": auto,
    }
