"""`POST /v1/counties/{county_code}/cross-checks` and `GET .../cross-checks/{run_id}`: 四查三比对 runs."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from baoxue_common.auth import Authenticated, Principal
from baoxue_common.errors import Forbidden, Unprocessable
from baoxue_common.regions import county_problem
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from verification.cross_checks import findings_page, run_cross_checks
from verification.domain.cross_checks import KINDS, Kind
from verification.entrypoints.routes import Runtime

router = APIRouter(prefix="/v1/counties", tags=["cross-checks"])
CountyPath = Annotated[str, Path(pattern=r"^\d{6}$", description="6-digit county code (GB/T 2260)")]


class Counts(BaseModel):
    """Children found, per kind."""

    out_of_school: int
    not_attending: int
    poverty_dropout: int


class RunOut(BaseModel):
    """A run: its id, day, counts per kind and the suspects it opened."""

    run_id: UUID
    county_code: str
    run_on: date
    counts: Counts
    suspects_opened: int | None = Field(default=None, description="Only in the answer to the POST")


class FindingOut(BaseModel):
    """A child found by a run; the ID number masked."""

    kind: Kind
    national_id: str | None = Field(description="Masked, e.g. 5226**********123X; null if on no registry")
    name: str | None
    birth_date: date | None
    student_id: str | None
    school_code: str | None
    groups: list[str]
    poverty_household: bool
    suspicion_id: UUID | None


class FindingsPage(RunOut):
    """A run and a page of its findings (of one kind, or all in kind order)."""

    kind: Kind | None
    limit: int
    offset: int
    next_offset: int | None
    findings: list[FindingOut]


def _allowed(principal: Principal, county_code: str) -> None:
    if principal.kind not in ("region", "admin"):
        raise Forbidden("cross-checks need a region token covering the county, or admin")
    principal.ensure_region(county_code)
    if problem := county_problem(county_code):
        raise Unprocessable(problem, errors=[{"loc": ["path", "county_code"], "msg": problem}])


@router.post("/{county_code}/cross-checks", response_model=RunOut, status_code=201, summary="Run the cross-checks")
async def post_cross_checks(county_code: CountyPath, principal: Authenticated, rt: Runtime) -> RunOut:
    """Run the three comparisons for the county against every county's rolls; each child found is a suspect."""
    _allowed(principal, county_code)
    run = await run_cross_checks(rt.uow(), county_code, rt.clock)
    return RunOut(
        run_id=run.run_id,
        county_code=run.county_code,
        run_on=run.run_on,
        counts=Counts(**run.counts),
        suspects_opened=run.suspects_opened,
    )


@router.get("/{county_code}/cross-checks/{run_id}", response_model=FindingsPage, summary="A run's findings")
async def get_cross_check(
    county_code: CountyPath,
    run_id: UUID,
    principal: Authenticated,
    rt: Runtime,
    kind: Kind | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> FindingsPage:
    """A page of the run's findings by kind, ID numbers masked."""
    _allowed(principal, county_code)
    page = await findings_page(rt.uow(), county_code, run_id, kind, limit + 1, offset)
    run, rows = page.run, page.findings
    return FindingsPage(
        run_id=run.run_id,
        county_code=run.county_code,
        run_on=run.run_on,
        counts=Counts(**{k: getattr(run, k) for k in KINDS}),
        kind=kind,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if len(rows) > limit else None,
        findings=[
            FindingOut(
                kind=r.kind,
                national_id=r.national_id_masked,
                name=r.name,
                birth_date=r.birth_date,
                student_id=r.student_id,
                school_code=r.school_code,
                groups=list(r.groups),
                poverty_household=r.poverty_household,
                suspicion_id=r.suspicion_id,
            )
            for r in rows[:limit]
        ],
    )
