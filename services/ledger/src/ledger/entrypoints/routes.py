"""Thin HTTP routes of the ledger."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from baoxue_common.auth import Principal, require_region
from baoxue_common.errors import ProblemError
from baoxue_common.paging import next_offset
from baoxue_common.runtime import ServiceRuntime
from baoxue_contracts.base import PriorityGroup
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from ledger.adapters import repository as repo
from ledger.domain.ledgers import LEDGER_LABELS, LedgerName, SuspectStatus

router = APIRouter(prefix="/v1/counties", tags=["ledgers"])
CountyPath = Annotated[str, Path(pattern=r"^\d{6}$", description="6-digit county code")]
CountyScoped = Annotated[Principal, Depends(require_region("county_code"))]
MAX_OFFSET = 2**63 - 1  # PostgreSQL's OFFSET is a bigint


class NotYetAvailable(ProblemError):
    """A ledger whose feed arrives with a later part of the platform."""

    status, title = 501, "Not implemented yet"


class SuspectEntry(BaseModel):
    """One line of the suspected-dropout ledger."""

    entry_id: UUID
    suspicion_id: UUID
    county_code: str
    school_code: str | None
    student_id: str | None
    source: str
    status: str
    reason: str
    groups: list[str]
    poverty_household: bool
    flagged_on: date
    clear_reason: str | None = None
    cleared_on: date | None = None
    updated_at: datetime


class LedgerPage(BaseModel):
    """A page of a ledger."""

    ledger: str
    label: str
    county_code: str
    total: int
    limit: int
    offset: int
    next_offset: int | None
    items: list[SuspectEntry]


@router.get(
    "/{county_code}/ledgers/{ledger}",
    response_model=LedgerPage,
    summary="A page of one of the three ledgers",
    description="Cleared suspects are left out unless `status=cleared` asks for them.",
    responses={501: {"description": "A ledger that is not kept yet (school-age, dropouts): problem details"}},
)
async def get_ledger(
    request: Request,
    county_code: CountyPath,
    ledger: LedgerName,
    _: CountyScoped,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    school_code: Annotated[str | None, Query(pattern=r"^\d{10}$")] = None,
    status: SuspectStatus | None = None,
    group: PriorityGroup | None = None,
    poverty_household: bool | None = None,
) -> LedgerPage:
    if ledger != "suspected":
        raise NotYetAvailable(f"the {ledger} ledger ({LEDGER_LABELS[ledger]}) is not kept yet")
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.uow() as uow:
        total, rows = await repo.suspects_page(
            uow.session,
            county_code,
            limit=limit,
            offset=offset,
            school_code=school_code,
            status=status,
            group=group,
            poverty_household=poverty_household,
        )
    return LedgerPage(
        ledger=ledger,
        label=LEDGER_LABELS[ledger],
        county_code=county_code,
        total=total,
        limit=limit,
        offset=offset,
        next_offset=next_offset(offset, len(rows), total),
        items=[SuspectEntry(**r) for r in rows],
    )
