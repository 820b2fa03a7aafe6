"""Routes that read pupils: the masked roll of a school, and the one audited reveal of an ID number."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from baoxue_common.auth import Authenticated
from baoxue_common.errors import Forbidden
from baoxue_common.runtime import ServiceRuntime
from baoxue_contracts.base import StudentId
from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from attendance_ingest.adapters import pii_reads
from attendance_ingest.entrypoints.deps import Runtime, SchoolCodePath, SchoolScoped
from attendance_ingest.handlers.common import county_of

router = APIRouter(prefix="/v1/schools", tags=["pupils"])
StudentIdPath = Annotated[str, Path(pattern=r"^(?:G\d{17}[0-9X]|L\d{1,24})$", description="national student number")]


class PupilOut(BaseModel):
    """One pupil of the roll; the ID number masked (`5226**********123X`), never clear."""

    model_config = ConfigDict(populate_by_name=True)

    student_id: StudentId
    national_id: str | None = Field(description="masked; null for a pupil whose roll predates encrypted storage")
    name: str
    gender: str
    birth_date: date
    grade: int
    class_name: str = Field(alias="class")
    hukou_county_code: str
    residence_county_code: str
    groups: list[str]
    poverty_household: bool


class RollOut(BaseModel):
    """`GET /v1/schools/{school_code}/roster`: one page of the active pupils, ordered by student id."""

    school_code: str
    total: int
    limit: int
    offset: int
    pupils: list[PupilOut]


class RevealIn(BaseModel):
    """Why the clear ID number is needed; kept in the audit row."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    purpose: Annotated[str, Field(min_length=1, max_length=500, pattern=r"\S")]


class RevealOut(BaseModel):
    """The clear ID number, read through the audited path."""

    student_id: str
    national_id: str
    purpose: str


async def _county(rt: ServiceRuntime, school_code: str) -> str:
    uow = rt.uow()
    async with uow:
        return await county_of(uow, school_code)


@router.get("/{school_code}/roster", response_model=RollOut, summary="The school's active pupils, ID numbers masked")
async def get_roll(
    school_code: SchoolCodePath,
    _: SchoolScoped,
    rt: Runtime,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> RollOut:
    await _county(rt, school_code)  # 404 for an unknown school, whoever asks
    total, rows = await pii_reads.masked_roll(rt.uow(), school_code, limit=limit, offset=offset)
    pupils = [PupilOut(national_id=r.pop("national_id_masked"), **r) for r in rows]
    return RollOut(school_code=school_code, total=total, limit=limit, offset=offset, pupils=pupils)


@router.post(
    "/{school_code}/pupils/{student_id}/national-id:reveal",
    response_model=RevealOut,
    summary="The clear ID number of a pupil (admin, or a region covering the school); every read is audited",
)
async def reveal_national_id(
    school_code: SchoolCodePath,
    student_id: StudentIdPath,
    body: RevealIn,
    principal: Authenticated,
    rt: Runtime,
    response: Response,
) -> RevealOut:
    if principal.kind not in ("admin", "region"):
        raise Forbidden("revealing an ID number needs an admin token or a region token covering the school")
    county = await _county(rt, school_code)
    if not principal.covers_school(school_code, county):
        raise Forbidden(f"scope {principal.scope} does not cover school {school_code}")
    clear = await pii_reads.reveal_national_id(
        rt.uow(),
        rt.pii,
        school_code=school_code,
        student_id=student_id,
        actor=f"{principal.scope} (token {principal.jti})",
        purpose=body.purpose.strip(),
    )
    response.headers["Cache-Control"] = "no-store"
    return RevealOut(student_id=student_id, national_id=clear, purpose=body.purpose.strip())
