"""Verifications (核实): a county's list, and the outcome a school or county records."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from baoxue_common.auth import Authenticated, Principal, require_region
from baoxue_common.errors import Unprocessable
from baoxue_common.paging import next_offset
from baoxue_common.regions import county_problem
from baoxue_contracts.events.verification import Cause, VerifierReason
from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from verification.domain.verifications import Verdict
from verification.entrypoints.routes import Runtime
from verification.verifications import list_verifications, record_outcome

router = APIRouter(prefix="/v1", tags=["verifications"])
CountyPath = Annotated[str, Path(pattern=r"^\d{6}$", description="6-digit county code (GB/T 2260)")]
CountyScoped = Annotated[Principal, Depends(require_region("county_code"))]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Status = Literal["open", "overdue", "done"]


class OutcomeIn(BaseModel):
    """The outcome of a verification: confirmed (with a cause if known) or cleared (with a reason)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    outcome: Literal["confirmed_dropout", "cleared"]
    reason: VerifierReason | None = Field(default=None, description="Required when cleared")
    cause: Cause | None = Field(default=None, description="The main cause, for confirmed_dropout (辍学原因)")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
    verified_by: Text
    verified_on: date


class VerificationOut(BaseModel):
    """A verification: the suspect, who verifies by when, its status and outcome; never an ID number."""

    verification_id: UUID
    suspicion_id: UUID
    county_code: str
    school_code: str | None
    student_id: str | None
    groups: list[str]
    sources: list[str] = Field(description="Every source that flagged the child")
    assigned_to: Literal["school", "county"]
    assigned_on: date
    due_on: date
    status: Status
    overdue_raised_on: date | None
    outcome: Literal["confirmed_dropout", "cleared"] | None
    reason: str | None
    cause: str | None
    note: str | None
    verified_by: str | None
    verified_on: date | None


class VerificationPage(BaseModel):
    """A page of a county's verifications, due first."""

    county_code: str
    total: int
    limit: int
    offset: int
    next_offset: int | None
    items: list[VerificationOut]


@router.get(
    "/counties/{county_code}/verifications",
    response_model=VerificationPage,
    summary="A page of the county's verifications",
)
async def get_verifications(
    county_code: CountyPath,
    _: CountyScoped,
    rt: Runtime,
    status: Status | None = None,
    suspicion_id: Annotated[
        UUID | None, Query(description="Only the verification of this suspect (the ledgers' suspicion_id)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> VerificationPage:
    """The county's verifications (of one status or suspect if asked), the earliest due first. Needs a region token."""
    if problem := county_problem(county_code):
        raise Unprocessable(problem, errors=[{"loc": ["path", "county_code"], "msg": problem}])
    total, rows = await list_verifications(
        rt.uow(), county_code, status, limit=limit, offset=offset, suspicion_id=suspicion_id
    )
    return VerificationPage(
        county_code=county_code,
        total=total,
        limit=limit,
        offset=offset,
        next_offset=next_offset(offset, len(rows), total),
        items=[_out(r) for r in rows],
    )


@router.post(
    "/verifications/{verification_id}/outcome",
    response_model=VerificationOut,
    summary="Record the outcome of a verification",
    responses={409: {"description": "Another outcome was recorded already"}},
)
async def post_outcome(
    verification_id: UUID, body: OutcomeIn, principal: Authenticated, rt: Runtime
) -> VerificationOut:
    """Confirm the dropout (DropoutConfirmed) or clear the suspect with a reason (SuspicionCleared).

    Needs a region token covering the county, or the school's token. The same outcome again changes nothing.
    """
    verdict = Verdict(**body.model_dump())
    shown, _ = await record_outcome(rt.uow(), verification_id, verdict, principal, rt.clock.today())
    return _out(shown)


def _out(row: dict[str, Any]) -> VerificationOut:
    return VerificationOut(**{k: v for k, v in row.items() if k in VerificationOut.model_fields})
