"""Routes of reference data and rolls: a school, its whole roll."""

from __future__ import annotations

from baoxue_common.auth import Authenticated
from baoxue_common.errors import Forbidden, Unprocessable
from baoxue_common.pii import check_national_id, national_id_hash
from fastapi import APIRouter

from attendance_ingest import handlers
from attendance_ingest.domain.model import Pupil
from attendance_ingest.entrypoints.deps import Runtime, SchoolCodePath, SchoolScoped
from attendance_ingest.entrypoints.schemas import RosterIn, RosterOut, SchoolIn, SchoolOut

router = APIRouter(prefix="/v1/schools", tags=["schools"])


@router.put("/{school_code}", response_model=SchoolOut, summary="Register a school or change its reference data")
async def put_school(school_code: SchoolCodePath, body: SchoolIn, principal: Authenticated, rt: Runtime) -> SchoolOut:
    if principal.kind not in ("admin", "region"):
        raise Forbidden("reference data needs an admin or region token")
    principal.ensure_region(body.county_code)
    changed = await handlers.register_school(rt.uow(), school_code=school_code, **body.model_dump())
    return SchoolOut(school_code=school_code, changed=changed, **body.model_dump())


@router.put("/{school_code}/roster", response_model=RosterOut, summary="Replace the school's whole roll")
async def put_roster(school_code: SchoolCodePath, body: RosterIn, _: SchoolScoped, rt: Runtime) -> RosterOut:
    errors, pupils, seen = [], [], set()
    for i, s in enumerate(body.students):
        if s.student_id in seen:
            errors.append({"loc": ["body", "students", i, "student_id"], "msg": "duplicate pupil in this roll"})
        seen.add(s.student_id)
        if problem := check_national_id(s.national_id, s.birth_date):
            errors.append({"loc": ["body", "students", i, "national_id"], "msg": problem})
            continue
        fields = s.model_dump(exclude={"national_id", "groups"})
        digest = national_id_hash(rt.settings.pii_key, s.national_id)
        pupils.append(Pupil(**fields, groups=tuple(sorted(set(s.groups))), national_id_hash=digest))
    if errors:
        raise Unprocessable(f"{len(errors)} problem(s) in the roll", errors=errors)
    counts = await handlers.replace_roster(
        rt.uow(), school_code=school_code, as_of=body.as_of, pupils=pupils, clock=rt.clock
    )
    return RosterOut(school_code=school_code, **counts)
