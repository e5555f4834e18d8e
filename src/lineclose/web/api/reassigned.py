"""Reassigned-number checks in bulk, as callers of the US Reassigned Numbers Database use them:
a batch of up to 1,000 (number, date of consent) pairs as JSON, or a CSV file of up to 250,000."""

from __future__ import annotations

import io
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from lineclose.domain.reassigned import Reassigned
from lineclose.errors import InvalidInput
from lineclose.services import reassigned, reassigned_files
from lineclose.services.access import Action
from lineclose.services.context import Actor
from lineclose.web.api.deps import SessionDep, may
from lineclose.web.api.schemas import problems

router = APIRouter(prefix="/api/v1/reassigned-numbers", tags=["reassigned numbers"])
Checker = Annotated[Actor, may(Action.RECYCLING_CHECK)]


class QueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phoneNumber: str = Field(pattern=reassigned.E164.pattern, examples=["+12025550123"])
    consentDate: date


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queries: list[QueryIn] = Field(min_length=1, max_length=reassigned.BATCH_LIMIT)


class AnswerOut(BaseModel):
    phoneNumber: str
    consentDate: date
    answer: Reassigned


class BatchOut(BaseModel):
    results: list[AnswerOut]
    counts: dict[str, int]


@router.post("/check", response_model=BatchOut, responses=problems(400, 401, 403, 422))
def check_batch(body: BatchIn, session: SessionDep, actor: Checker) -> BatchOut:
    """Each pair answered `yes` (disconnected on or after the date of consent), `no`, or
    `no_data` (nothing known and the date is before the records begin, 2021-01-27)."""
    answered = reassigned.check_batch(
        session, actor, [reassigned.Query(q.phoneNumber, q.consentDate) for q in body.queries]
    )
    counts = {a.value: 0 for a in Reassigned}
    for item in answered:
        counts[item.answer.value] += 1
    return BatchOut(
        results=[
            AnswerOut(phoneNumber=a.phone_number, consentDate=a.consent, answer=a.answer)
            for a in answered
        ],
        counts=counts,
    )


async def csv_body(request: Request) -> str:
    raw = await request.body()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the file must be UTF-8 text (CSV)", code="invalid_file") from None


@router.post(
    "/file",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "the answers, as CSV"},
        **problems(400, 401, 403, 413, 422),
    },
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {}}}},
)
def check_file(
    text: Annotated[str, Depends(csv_body)], session: SessionDep, actor: Checker
) -> Response:
    """Send the CSV (`phone_number,consent_date` header) as the body. The answer is CSV:
    `phone_number,consent_date,answer` per good row; bad rows come after them as
    `row,field,message` lines under a `# rejects` marker, and are counted in `X-Rejected-Rows`."""
    answers, rejects = io.StringIO(), io.StringIO()
    report = reassigned_files.check_file(session, actor, io.StringIO(text), answers, rejects)
    body = answers.getvalue()
    if report.rejected:
        body += "# rejects\n" + rejects.getvalue()
    headers = {
        "X-Answered-Rows": str(report.answered),
        "X-Rejected-Rows": str(report.rejected),
        **{f"X-Answer-{k.replace('_', '-').title()}": str(v) for k, v in report.counts.items()},
    }
    return Response(body, media_type="text/csv", headers=headers)
