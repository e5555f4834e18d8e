"""The checklist page's model: the line, the precheck for the holder's choices, and the fixes."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from fastapi import Request

from lineclose.services import precheck
from lineclose.services.context import Actor, Deps
from lineclose.services.reads.lines import line_overview
from lineclose.services.reads.requests import request_detail
from lineclose.services.unit_of_work import Session
from lineclose.services.views import eligibility_view
from lineclose.web.pages.portal.models import (
    ChecklistBinding,
    ChecklistContract,
    ChecklistPage,
    Choices,
    PayableBill,
    ProgressPage,
)
from lineclose.web.pages.views import progress_steps, rejection_items

FIXED_IN_PLACE = ("ARREARS", "COMMITMENT_ACTIVE", "BINDINGS_PRESENT")


def query_choices(request: Request) -> Choices:
    """The choices carried in the checklist's URL after a fix (or picked by `plan`)."""
    params = request.query_params
    ack = sorted({int(a) for a in params.getlist("ack") if a.isdigit()})
    plan = params.get("plan")
    return {
        "accept_etf": params.get("accept_etf") == "1" or plan == "etf",
        "term_end": params.get("term_end") == "1" or plan == "term_end",
        "ack": ack,
    }


def choice_query(choices: Choices) -> str:
    parts = []
    if choices.get("accept_etf"):
        parts.append("accept_etf=1")
    if choices.get("term_end"):
        parts.append("term_end=1")
    parts.extend(f"ack={i}" for i in choices.get("ack", []))
    return ("?" + "&".join(parts)) if parts else ""


def checklist_page(
    session: Session, deps: Deps, actor: Actor, line_id: int, choices: Choices, **shown: Any
) -> ChecklistPage:
    """Everything the checklist shows: each item with its state, the bound services, the quote."""
    line = line_overview(session, deps, actor, line_id)
    requested: date | None = None
    if choices["term_end"] and line.contract is not None and line.contract.in_term:
        requested = line.contract.commitment_end
    result = precheck.precheck(
        session,
        deps,
        actor,
        line.number,
        requested_date=requested,
        accept_etf=choices["accept_etf"] and not choices["term_end"],
        acknowledged_bindings=tuple(choices["ack"]),
    )
    view = eligibility_view(result)
    etf_minor = 0
    for blocker in view["blockers"]:
        if blocker["code"] == "COMMITMENT_ACTIVE":
            etf_minor = blocker["remedies"][0].get("amount_minor", 0)
    if choices["accept_etf"]:
        etf_minor = view["quote"]["early_termination_fee_minor"]
    return ChecklistPage(
        line=line.summary,
        result=view,
        blocker_codes=[b["code"] for b in view["blockers"]],
        other_blockers=[b for b in view["blockers"] if b["code"] not in FIXED_IN_PLACE],
        bills=[
            # A fresh payment reference per page view: paying twice from one page is one payment.
            PayableBill(b.id, b.amount_minor, b.due_on, f"portal-{secrets.token_hex(8)}")
            for b in line.unpaid_bills
        ],
        bindings=[
            ChecklistBinding(b.id, b.service, b.category, b.unbound_on, b.id in choices["ack"])
            for b in line.bindings
        ],
        contract=(
            ChecklistContract(line.contract.commitment_end, line.contract.in_term, etf_minor)
            if line.contract
            else None
        ),
        choices=choices,
        open_request=line.open_request,
        currency=line.summary.currency,
        **shown,
    )


def progress_page(
    session: Session, deps: Deps, actor: Actor, reference: str, **shown: Any
) -> ProgressPage:
    detail = request_detail(session, deps, actor, reference)
    shown_request = detail.view
    return ProgressPage(
        req=shown_request,
        line_id=detail.line_id,
        currency=detail.currency,
        timezone=detail.timezone,
        steps=progress_steps(shown_request),
        rejection=rejection_items(shown_request),
        req_ack=detail.acknowledged_bindings,
        has_contract_blocker=any(
            b.get("code") == "COMMITMENT_ACTIVE" for b in shown_request.blockers or []
        ),
        term_end=(
            detail.contract_end is not None
            and shown_request.requested_date == detail.contract_end.isoformat()
        ),
        **shown,
    )
