"""Routes of reference data and rolls: a school, its whole roll."""

from __future__ import annotations

from functools import partial
from typing import Any

from baoxue_common.auth import Authenticated
from baoxue_common.errors import Forbidden, PayloadTooLarge, Unprocessable
from baoxue_common.pii import national_id_hash, seal_national_id
from baoxue_common.regions import region_name
from fastapi import APIRouter

from attendance_ingest import handlers
from attendance_ingest.adapters import repository as repo
from attendance_ingest.domain.roll import Pupil, RollEntry, roll_problems
from attendance_ingest.entrypoints.deps import Runtime, SchoolCodePath, SchoolScoped
from attendance_ingest.entrypoints.schemas import MAX_ROLL, RosterIn, RosterOut, SchoolIn, SchoolOut

router = APIRouter(prefix="/v1/schools", tags=["schools"])


@router.put("/{school_code}", response_model=SchoolOut, summary="Register a school or change its reference data")
async def put_school(school_code: SchoolCodePath, body: SchoolIn, principal: Authenticated, rt: Runtime) -> SchoolOut:
    if principal.kind not in ("admin", "region"):
        raise Forbidden("reference data needs an admin or region token")
    principal.ensure_region(body.county_code)
    async with rt.engine.connect() as conn:
        current = await repo.school_county(conn, school_code)
    if current is not None and not principal.covers_region(current):
        # A region may move a school only between counties it covers.
        raise Forbidden(f"scope {principal.scope} does not cover the school's county {current}")
    changed = await handlers.register_school(rt.uow(), school_code=school_code, **body.model_dump())
    name = region_name(body.county_code)
    return SchoolOut(school_code=school_code, changed=changed, county_name=name, **body.model_dump())


@router.put(
    "/{school_code}/roster",
    response_model=RosterOut,
    summary="Replace the school's whole roll",
    responses={409: {"description": "A pupil is active on another school's roll and no transfer is under way"}},
)
async def put_roster(school_code: SchoolCodePath, body: RosterIn, _: SchoolScoped, rt: Runtime) -> RosterOut:
    if len(body.students) > MAX_ROLL:
        raise PayloadTooLarge(f"at most {MAX_ROLL} pupils in one roll, not {len(body.students)}")
    problems = roll_problems([RollEntry(s.student_id, s.national_id, s.birth_date) for s in body.students])
    if problems:
        errors = [{"loc": ["body", "students", i, field], "msg": msg} for i, field, msg in problems]
        raise Unprocessable(f"{len(errors)} problem(s) in the roll", errors=errors)
    key = rt.settings.pii_key
    pupils = [
        Pupil(**_stored(s.model_dump()), national_id_hash=national_id_hash(key, s.national_id)) for s in body.students
    ]
    counts = await handlers.replace_roster(
        rt.uow(),
        school_code=school_code,
        as_of=body.as_of,
        pupils=pupils,
        numbers={s.student_id: s.national_id for s in body.students},
        seal=partial(seal_national_id, rt.pii, key),
        clock=rt.clock,
    )
    return RosterOut(school_code=school_code, **counts)


def _stored(student: dict[str, Any]) -> dict[str, Any]:
    """The roll fields kept on a Pupil: no clear ID number, groups as a sorted set."""
    student.pop("national_id")
    return {**student, "groups": tuple(sorted(set(student["groups"])))}
