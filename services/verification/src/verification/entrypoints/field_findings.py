"""`POST /v1/counties/{county_code}/field-findings`: a child found out of school in a field search (摸排)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from baoxue_common.auth import Authenticated
from baoxue_common.errors import Forbidden, Unprocessable
from baoxue_common.regions import county_problem
from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from verification.domain.field_findings import Finding
from verification.entrypoints.routes import Runtime
from verification.field_findings import record_finding

router = APIRouter(prefix="/v1/counties", tags=["field findings"])
CountyPath = Annotated[str, Path(pattern=r"^\d{6}$", description="6-digit county code (GB/T 2260)")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class FieldFindingIn(BaseModel):
    """What a field searcher found: the child, the kind of finding, where, when and by whom."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    national_id: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="Resident ID number, if known"
    )
    name: Text
    birth_date: date
    finding: Literal["no_hukou", "no_student_record", "not_attending"]
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
    found_on: date
    found_by: Text


class FieldFindingOut(BaseModel):
    """The finding's id, the suspicion it opened or joined, the pupil matched (if any) and the masked ID number."""

    finding_id: UUID
    suspicion_id: UUID
    matched_student_id: str | None
    national_id: str | None = Field(description="Masked, e.g. 5226**********123X")


@router.post(
    "/{county_code}/field-findings",
    response_model=FieldFindingOut,
    status_code=201,
    summary="Report a child found out of school in a field search",
    responses={200: {"model": FieldFindingOut, "description": "The same finding was already recorded"}},
)
async def post_field_finding(
    county_code: CountyPath, body: FieldFindingIn, principal: Authenticated, rt: Runtime, response: Response
) -> FieldFindingOut:
    """Record the finding and flag the child a suspect (source field); the same finding again answers 200.

    Needs a region token covering the county, or admin.
    """
    if principal.kind not in ("region", "admin"):
        raise Forbidden("field findings need a region token covering the county, or admin")
    principal.ensure_region(county_code)
    if problem := county_problem(county_code):
        raise Unprocessable(problem, errors=[{"loc": ["path", "county_code"], "msg": problem}])
    finding = Finding(county_code=county_code, **body.model_dump())
    recorded = await record_finding(rt.uow(), finding, rt.settings.pii_key, rt.clock)
    if not recorded.created:
        response.status_code = 200
    return FieldFindingOut(
        finding_id=recorded.finding_id,
        suspicion_id=recorded.suspicion_id,
        matched_student_id=recorded.matched_student_id,
        national_id=recorded.national_id,
    )
