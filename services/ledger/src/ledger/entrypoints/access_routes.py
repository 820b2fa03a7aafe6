"""The county's read-access log (who read which child's records, when) for its auditors."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from baoxue_common.auth import Principal, require_region
from baoxue_common.paging import next_offset
from baoxue_common.runtime import ServiceRuntime
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from ledger.adapters import ledger_queries as q

router = APIRouter(prefix="/v1/counties", tags=["access log"])
CountyScoped = Annotated[Principal, Depends(require_region("county_code"))]


class AccessEntry(BaseModel):
    """One read of a child's records: a timeline, a case, a ledger export."""

    read_at: datetime
    actor: str
    scope: str
    action: str
    subject: str
    detail: dict[str, Any]


class AccessPage(BaseModel):
    """A page of the access log, newest first."""

    county_code: str
    total: int
    limit: int
    offset: int
    next_offset: int | None
    items: list[AccessEntry]


@router.get("/{county_code}/access-log", response_model=AccessPage, summary="Who read the county's children's records")
async def access_log(
    request: Request,
    county_code: Annotated[str, Path(pattern=r"^\d{6}$")],
    _: CountyScoped,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    action: Annotated[str | None, Query(max_length=60)] = None,
    actor: Annotated[str | None, Query(max_length=100)] = None,
) -> AccessPage:
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.uow() as uow:
        total, rows = await q.access_page(
            uow.session, county_code, action=action, actor=actor, limit=limit, offset=offset
        )
    return AccessPage(
        county_code=county_code,
        total=total,
        limit=limit,
        offset=offset,
        next_offset=next_offset(offset, len(rows), total),
        items=[AccessEntry(**r) for r in rows],
    )
