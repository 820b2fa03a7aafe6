"""Route of school calendars: a region publishes its calendar for a school year; schools below inherit it."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from baoxue_common.auth import Authenticated
from baoxue_common.calendar import Calendar, Term
from baoxue_common.errors import Forbidden, Unprocessable
from baoxue_common.regions import region_name
from baoxue_contracts.events.attendance import SchoolYear
from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from attendance_ingest.entrypoints.deps import Runtime
from attendance_ingest.entrypoints.schemas import Body
from attendance_ingest.handlers.calendars import publish_calendar

router = APIRouter(prefix="/v1/regions", tags=["calendars"])
RegionCodePath = Annotated[
    str, Path(pattern=r"^[0-9]{6}$", description="6-digit GB/T 2260 code; 000000 is the national calendar")
]


class TermIn(Body):
    """One term, both ends included."""

    name: Annotated[str, Field(min_length=1, max_length=50)]
    start: date
    end: date


class CalendarIn(Body):
    """`PUT /v1/regions/{region_code}/calendar`: a school year's terms, holidays and make-up days."""

    school_year: SchoolYear
    terms: Annotated[list[TermIn], Field(min_length=1, max_length=6)]
    holidays: Annotated[list[date], Field(default_factory=list, max_length=366)]
    makeup_days: Annotated[list[date], Field(default_factory=list, max_length=366)]


class CalendarOut(BaseModel):
    """A published calendar and how many school days it gives."""

    region_code: str
    region_name: str
    school_year: str
    terms: list[TermIn]
    holidays: list[date]
    makeup_days: list[date]
    school_days: int
    changed: bool


@router.put("/{region_code}/calendar", response_model=CalendarOut, summary="Publish a region's school calendar")
async def put_calendar(
    region_code: RegionCodePath, body: CalendarIn, principal: Authenticated, rt: Runtime
) -> CalendarOut:
    if principal.kind == "school":
        raise Forbidden("calendars need an admin, national or region token")
    principal.ensure_region(region_code)
    name = region_name(region_code)
    if name is None:
        raise Unprocessable(
            f"{region_code} is not a GB/T 2260 region code in use",
            errors=[{"loc": ["path", "region_code"], "msg": "unknown region code"}],
        )
    terms = tuple(Term(t.name, t.start, t.end) for t in body.terms)
    calendar = Calendar(region_code, body.school_year, terms, frozenset(body.holidays), frozenset(body.makeup_days))
    if problems := calendar.problems():
        errors = [{"loc": ["body", *body_loc(body, loc)], "msg": msg} for loc, msg in problems]
        raise Unprocessable(f"{len(errors)} problem(s) in the calendar of {body.school_year}", errors=errors)
    changed = await publish_calendar(rt.uow(), calendar)
    return CalendarOut(
        region_code=region_code,
        region_name=name,
        school_year=body.school_year,
        terms=body.terms,
        holidays=sorted(calendar.holidays),
        makeup_days=sorted(calendar.makeup_days),
        school_days=len(calendar.school_days()),
        changed=changed,
    )


def body_loc(body: CalendarIn, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """A problem's location in the request: dates are checked in order, so point at their place in the body."""
    if len(loc) == 2 and loc[0] in ("holidays", "makeup_days") and isinstance(loc[1], int):
        listed: list[date] = getattr(body, str(loc[0]))
        day = sorted(set(listed))[loc[1]]
        return (loc[0], listed.index(day))
    return loc
