"""Thin routes of the dropout cases (劝返个案): one read and the commands on a case.

Every path names a case: an unknown case is 404 for everyone; a case that exists but lies outside the caller's
scope is 403. In scope: the case's county or a region above it, its school, the county a pending transfer offers
it to (read, accept, reject), and a county the case was transferred away from (read only: it sees the outcome).
Close-out decisions and transfers need a region token.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from baoxue_common.auth import Authenticated
from baoxue_common.errors import Unprocessable
from baoxue_common.regions import region_name
from baoxue_common.runtime import ServiceRuntime
from baoxue_contracts.events.ledger import AttemptMethod, AttemptOutcome, CancelReason, EscalationLevel, Placement
from baoxue_contracts.events.verification import Cause
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from ledger import case_commands as commands
from ledger import case_decisions as decisions

router = APIRouter(prefix="/v1/cases", tags=["cases"])
Name = Annotated[str, Field(min_length=1, max_length=100)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Day = date  # a field named `date` shadows the type inside a body class


def runtime_of(request: Request) -> ServiceRuntime:
    """The service runtime of this process."""
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[ServiceRuntime, Depends(runtime_of)]


class Body(BaseModel):
    """A command's body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class AssigneeIn(Body):
    name: Name
    role: Literal["school", "township", "county", "village"]
    phone: Annotated[str, Field(pattern=r"^[0-9+\- ]{3,20}$")] | None = None


class AttemptIn(Body):
    date: Day
    method: AttemptMethod
    by: Name
    outcome: AttemptOutcome
    note: Annotated[str, Field(max_length=2000)] | None = None


class EscalationIn(Body):
    level: EscalationLevel
    date: Day
    deadline: Day | None = Field(default=None, description="Required for order_to_correct, after `date`.")
    issued_by: Name


class ReturnIn(Body):
    school_code: Annotated[str, Field(pattern=r"^\d{10}$")]
    date: Day
    placement: Placement


class CauseIn(Body):
    main: Cause
    others: Annotated[list[Cause], Field(max_length=8)] = []


class ApproveIn(Body):
    note: Annotated[str, Field(max_length=2000)] | None = None


class ReasonIn(Body):
    reason: Text


class CancelIn(Body):
    reason: CancelReason = Field(description="Why the case closes without a consolidated return (撤销).")
    note: Annotated[str, Field(max_length=2000)] | None = None


class TransferIn(Body):
    to_county_code: Annotated[str, Field(pattern=r"^\d{6}$")]
    reason: Text


class Assignee(BaseModel):
    assignee_id: UUID
    name: str
    role: str
    phone: str | None
    added_by: str
    added_at: datetime


class Attempt(BaseModel):
    attempt_id: UUID
    attempted_on: date
    method: str
    by: str
    outcome: str
    note: str | None
    recorded_by: str
    recorded_at: datetime


class Escalation(BaseModel):
    level: str
    escalated_on: date
    deadline: date | None
    issued_by: str
    recorded_by: str
    recorded_at: datetime


class Transfer(BaseModel):
    transfer_id: UUID
    from_county_code: str
    to_county_code: str
    reason: str
    requested_on: date
    requested_by: str
    status: Literal["pending", "accepted", "rejected"]
    answered_on: date | None
    answered_by: str | None
    answer_reason: str | None


class TimelineLine(BaseModel):
    event_type: str
    producer: str
    occurred_at: datetime
    actor: str | None
    summary: dict[str, Any]


class CaseView(BaseModel):
    """A dropout case with everything done on it, oldest first."""

    case_id: UUID
    suspicion_id: UUID
    county_code: str
    school_code: str | None
    student_id: str | None
    status: Literal["open", "returned", "closure_proposed", "closed"]
    source: str
    sources: list[str]
    groups: list[str]
    poverty_household: bool
    flagged_on: date | None
    confirmed_on: date
    cause_main: str | None
    cause_others: list[str]
    escalation_level: str | None
    order_deadline: date | None
    order_overdue: bool = Field(description="An order to correct whose deadline passed with the child not back.")
    seen_at_school_on: date | None
    returned_on: date | None
    return_school_code: str | None
    placement: str | None
    return_recorded_by: str | None
    consolidation_from: date | None
    proposed_on: date | None
    closed_on: date | None
    closed_by: str | None
    close_reason: str | None = Field(default=None, description="consolidated, or the cancel reason.")
    relapses: int
    transfer_to: str | None
    version: int
    updated_at: datetime
    assignees: list[Assignee]
    attempts: list[Attempt]
    escalations: list[Escalation]
    transfers: list[Transfer]
    timeline: list[TimelineLine]


@router.get("/{case_id}", response_model=CaseView, summary="A dropout case (the read is logged)")
async def get_case(case_id: UUID, principal: Authenticated, rt: Runtime) -> dict[str, Any]:
    return await commands.read_case(rt, principal, case_id)


@router.post("/{case_id}/assignees", response_model=Assignee, status_code=201, summary="Name a person on the case")
async def post_assignee(case_id: UUID, body: AssigneeIn, principal: Authenticated, rt: Runtime) -> dict[str, Any]:
    return await commands.add_assignee(rt, principal, case_id, body.model_dump())


@router.post("/{case_id}/attempts", response_model=Attempt, status_code=201, summary="Record a persuasion attempt")
async def post_attempt(case_id: UUID, body: AttemptIn, principal: Authenticated, rt: Runtime) -> dict[str, Any]:
    return await commands.record_attempt(rt, principal, case_id, body.model_dump())


@router.post(
    "/{case_id}/escalations",
    response_model=Escalation,
    status_code=201,
    summary="Escalate the case one level up (409 out of order)",
)
async def post_escalation(case_id: UUID, body: EscalationIn, principal: Authenticated, rt: Runtime) -> dict[str, Any]:
    return await commands.escalate(rt, principal, case_id, body.model_dump())


@router.post("/{case_id}/return", response_model=CaseView, summary="The child is back in school")
async def post_return(case_id: UUID, body: ReturnIn, principal: Authenticated, rt: Runtime) -> dict[str, Any]:
    return await commands.confirm_return(rt, principal, case_id, body.model_dump())


@router.put("/{case_id}/cause", response_model=CaseView, summary="Record the causes of the dropout")
async def put_cause(case_id: UUID, body: CauseIn, principal: Authenticated, rt: Runtime) -> dict[str, Any]:
    return await commands.record_cause(rt, principal, case_id, body.model_dump())


@router.post("/{case_id}/closure/approve", response_model=CaseView, summary="Approve the proposed close-out")
async def post_approve(case_id: UUID, body: ApproveIn, principal: Authenticated, rt: Runtime) -> dict[str, Any]:
    return await decisions.approve_closure(rt, principal, case_id, body.model_dump())


@router.post("/{case_id}/closure/reject", response_model=CaseView, summary="Reject the proposed close-out")
async def post_reject(case_id: UUID, body: ReasonIn, principal: Authenticated, rt: Runtime) -> dict[str, Any]:
    return await decisions.reject_closure(rt, principal, case_id, body.model_dump())


@router.post(
    "/{case_id}/cancel",
    response_model=CaseView,
    summary="Close the case without a consolidated return, with a coded reason (撤销)",
    description="For a case confirmed in error, or a child deceased, emigrated, studying elsewhere or past "
    "compulsory age. 409 on a closed case or one with a pending transfer.",
)
async def post_cancel(case_id: UUID, body: CancelIn, principal: Authenticated, rt: Runtime) -> dict[str, Any]:
    return await decisions.cancel_case(rt, principal, case_id, body.model_dump())


@router.post(
    "/{case_id}/transfer", response_model=Transfer, status_code=202, summary="Offer the case to another county"
)
async def post_transfer(case_id: UUID, body: TransferIn, principal: Authenticated, rt: Runtime) -> dict[str, Any]:
    if region_name(body.to_county_code) is None:
        msg = "not a GB/T 2260 region code in use"
        raise Unprocessable(f"{body.to_county_code} is {msg}", errors=[{"loc": ["body", "to_county_code"], "msg": msg}])
    return await decisions.request_transfer(rt, principal, case_id, body.model_dump())


@router.post("/{case_id}/transfer/accept", response_model=CaseView, summary="Take the case (receiving county)")
async def post_transfer_accept(case_id: UUID, principal: Authenticated, rt: Runtime) -> dict[str, Any]:
    return await decisions.accept_transfer(rt, principal, case_id)


@router.post("/{case_id}/transfer/reject", response_model=Transfer, summary="Refuse the case (receiving county)")
async def post_transfer_reject(case_id: UUID, body: ReasonIn, principal: Authenticated, rt: Runtime) -> dict[str, Any]:
    return await decisions.reject_transfer(rt, principal, case_id, body.model_dump())
