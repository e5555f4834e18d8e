"""Fleet batches over the API: upload a file of cards, the review queue's fleet items, decisions
as a whole or line by line, and the per-card result file."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from lineclose.errors import InvalidInput
from lineclose.services.access import Action
from lineclose.services.context import Actor
from lineclose.services.fleet import batches
from lineclose.services.fleet.rows import parse_rows
from lineclose.services.reads.fleet import batch_detail, batch_lines, list_batches, result_csv
from lineclose.web.api.deps import DepsDep, SessionDep, may
from lineclose.web.api.schemas import problems

router = APIRouter(prefix="/api/v1/fleet-batches", tags=["fleet batches"])
Staff = Annotated[Actor, may(Action.READ_FLEET)]
Loader = Annotated[Actor, may(Action.LOAD_FLEET)]
Decider = Annotated[Actor, may(Action.DECIDE)]
MAX_FILE_BYTES = 64 * 1024 * 1024


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rows: list[int] | None = Field(default=None, min_length=1, max_length=100_000)
    note: str = Field(default="", max_length=500)


def _jsonable(view: Any) -> dict[str, Any]:
    body = asdict(view)
    for key, value in body.items():
        if hasattr(value, "isoformat"):
            body[key] = value.isoformat()
    return body


@router.post("", status_code=201, responses=problems(400, 401, 403, 404, 409, 422))
async def upload(
    session: SessionDep,
    deps: DepsDep,
    actor: Loader,
    file: Annotated[UploadFile, File(description="CSV: msisdn, iccid or card; requested_date")],
    operator: Annotated[str, Form()],
    authorised_contact: Annotated[str, Form()],
    authorising_document: Annotated[str, Form()],
    refund_account: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    """Load a file of cards as one batch under a fleet authorisation; the same file again
    returns its batch. Bad rows come back with their row number, field and message."""
    raw = await file.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise InvalidInput("the file is larger than 64 MB: split it", code="file_too_large")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            "the file must be UTF-8 CSV", code="invalid_file", field="file"
        ) from None

    def load() -> dict[str, Any]:
        region = batches.operator_region(session, operator)
        loaded = batches.load(
            session,
            deps,
            actor,
            operator,
            parse_rows(text.splitlines(keepends=True), region),
            batches.FleetAuthorisation(authorised_contact, authorising_document),
            refund_account,
        )
        session.commit()
        return {
            "reference": loaded.batch.reference,
            "created": loaded.created,
            "status": loaded.batch.status,
            "summary": loaded.batch.summary,
            "rejects": [
                {"row": r.row_number, "field": r.field, "message": r.message}
                for r in loaded.rejects
            ],
        }

    return await run_in_threadpool(load)


@router.get("", responses=problems(400, 401, 403, 404, 409, 422))
def queue(session: SessionDep, actor: Staff, all: bool = False) -> dict[str, Any]:
    """Fleet batches awaiting review, one item each, with their precheck summary."""
    return {"batches": [_jsonable(v) for v in list_batches(session, actor, pending_only=not all)]}


@router.get("/{reference}", responses=problems(400, 401, 403, 404, 409, 422))
def detail(
    reference: str,
    session: SessionDep,
    actor: Staff,
    after_row: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> dict[str, Any]:
    """The batch and a page of its cards (next page: `after_row` = the last row shown)."""
    return {
        "batch": _jsonable(batch_detail(session, actor, reference)),
        "lines": [_jsonable(v) for v in batch_lines(session, actor, reference, after_row, limit)],
    }


@router.post("/{reference}/approve", responses=problems(400, 401, 403, 404, 409, 422))
def approve(
    reference: str, body: DecisionIn, session: SessionDep, deps: DepsDep, actor: Decider
) -> dict[str, Any]:
    """Approve the whole batch (its blocked cards are rejected) or the listed rows."""
    counts = batches.decide(session, deps, actor, reference, True, body.rows, body.note)
    session.commit()
    return {"reference": reference.upper(), **counts}


@router.post("/{reference}/reject", responses=problems(400, 401, 403, 404, 409, 422))
def reject(
    reference: str, body: DecisionIn, session: SessionDep, deps: DepsDep, actor: Decider
) -> dict[str, Any]:
    """Reject the whole batch or the listed rows."""
    counts = batches.decide(session, deps, actor, reference, False, body.rows, body.note)
    session.commit()
    return {"reference": reference.upper(), **counts}


@router.get(
    "/{reference}/result.csv",
    response_class=PlainTextResponse,
    responses=problems(400, 401, 403, 404, 409, 422),
)
def result(reference: str, session: SessionDep, actor: Staff) -> PlainTextResponse:
    """Per card: row, MSISDN, ICCID, reference, state, blockers, refund (minor units)."""
    return PlainTextResponse(result_csv(session, actor, reference), media_type="text/csv")
