"""A school's open early warnings (家访预警): pupils still absent since the home-visit threshold warned of them."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from baoxue_common.auth import Authenticated
from baoxue_common.errors import Forbidden, NotFound
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from verification.adapters.warnings_repository import open_warnings, school_county
from verification.entrypoints.routes import Runtime

router = APIRouter(prefix="/v1/schools", tags=["warnings"])
SchoolPath = Annotated[str, Path(pattern=r"^\d{10}$", description="10-digit school code (学校标识码)")]


class WarningOut(BaseModel):
    """One open warning: the pupil, the run of unexcused school days it covers, when it was raised."""

    warning_id: UUID
    student_id: str
    streak_start: date
    run_end: date
    raised_on: date


class WarningList(BaseModel):
    """`GET /v1/schools/{school_code}/warnings`: open warnings, newest first."""

    school_code: str
    total: int
    items: list[WarningOut]


@router.get(
    "/{school_code}/warnings",
    response_model=WarningList,
    summary="The school's open early warnings (the pupil's last recorded day is still in the warned run)",
)
async def get_school_warnings(
    school_code: SchoolPath,
    principal: Authenticated,
    rt: Runtime,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> WarningList:
    async with rt.engine.connect() as conn:
        county = await school_county(conn, school_code)
        if county is None and principal.kind not in ("admin", "school"):
            raise NotFound(f"no pupil of school {school_code} is known")
        if not principal.covers_school(school_code, county):
            raise Forbidden(f"scope {principal.scope} does not cover school {school_code}")
        total, rows = await open_warnings(conn, school_code, limit)
    items = [WarningOut.model_validate(r) for r in rows]
    return WarningList(school_code=school_code, total=total, items=items)
