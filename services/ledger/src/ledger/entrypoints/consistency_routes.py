"""Routes of the ledger: consistency (人账相符)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from baoxue_common.auth import Principal, require_region
from baoxue_common.runtime import ServiceRuntime
from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel

from ledger import consistency

router = APIRouter(prefix="/v1/counties", tags=["ledgers"])
CountyPath = Annotated[str, Path(pattern=r"^\d{6}$", description="6-digit county code")]
CountyScoped = Annotated[Principal, Depends(require_region("county_code"))]


class Discrepancy(BaseModel):
    """One thing the ledgers disagree on."""

    kind: str
    ledger: str
    entry_id: str | None
    child_key: str | None
    detail: str


class ConsistencyReport(BaseModel):
    """Whether the county's three ledgers agree, with their counts per status."""

    county_code: str
    checked_at: datetime
    ok: bool
    counts: dict[str, Any]
    discrepancies: list[Discrepancy]


@router.get(
    "/{county_code}/ledgers/consistency",
    response_model=ConsistencyReport,
    summary="Check that the county's ledgers agree (人账相符)",
    description="Every open suspect and every dropout case must be a child of the school-age ledger with the "
    "status its case says, and the dropout counts must add up. Reports discrepancies; fixes nothing.",
)
async def get_consistency(request: Request, county_code: CountyPath, _: CountyScoped) -> ConsistencyReport:
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.uow() as uow:
        report = await consistency.check(uow.session, county_code)
    return ConsistencyReport(**report)
