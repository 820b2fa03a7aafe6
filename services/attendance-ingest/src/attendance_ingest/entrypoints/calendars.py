"""Routes of school calendars: a region publishes its calendar for a school year; schools below inherit it."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from baoxue_common.auth import Authenticated, Principal
from baoxue_common.calendar import Calendar, Term
from baoxue_common.errors import Forbidden, NotFound, Unprocessable
from baoxue_common.regions import region_chain, region_name
from baoxue_contracts.events.attendance import SchoolYear
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from attendance_ingest.entrypoints.deps import Runtime, SchoolCodePath
from attendance_ingest.entrypoints.schemas import Body
from attendance_ingest.handlers.calendars import effective_calendar, publish_calendar, region_calendar

router = APIRouter(prefix="/v1/regions", tags=["calendars"])
school_router = APIRouter(prefix="/v1/schools", tags=["calendars"])
SchoolYearQuery = Annotated[str, Query(pattern=r"^[0-9]{4}-[0-9]{4}$", description="e.g. 2026-2027")]
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


class CalendarView(BaseModel):
    """A published calendar and how many school days it gives."""

    region_code: str
    region_name: str
    school_year: str
    terms: list[TermIn]
    holidays: list[date]
    makeup_days: list[date]
    school_days: int

    @classmethod
    def of(cls, calendar: Calendar) -> CalendarView:
        """The view of a stored calendar."""
        return cls(
            region_code=calendar.region_code,
            region_name=region_name(calendar.region_code) or calendar.region_code,
            school_year=calendar.school_year,
            terms=[
                TermIn(name=t.name, start=t.start, end=t.end) for t in sorted(calendar.terms, key=lambda t: t.start)
            ],
            holidays=sorted(calendar.holidays),
            makeup_days=sorted(calendar.makeup_days),
            school_days=len(calendar.school_days()),
        )


class CalendarOut(CalendarView):
    """The answer to a publication: the calendar, and whether it differed from the one on record."""

    changed: bool


class SchoolCalendarOut(CalendarView):
    """The calendar a school uses: `region_code` is the nearest region above it that published one."""

    school_code: str
    county_code: str


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
    return CalendarOut(**CalendarView.of(calendar).model_dump(), changed=changed)


def body_loc(body: CalendarIn, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """A problem's location in the request: dates are checked in order, so point at their place in the body."""
    if len(loc) == 2 and loc[0] in ("holidays", "makeup_days") and isinstance(loc[1], int):
        listed: list[date] = getattr(body, str(loc[0]))
        day = sorted(set(listed))[loc[1]]
        return (loc[0], listed.index(day))
    return loc


@router.get("/{region_code}/calendar", response_model=CalendarView, summary="A region's own published calendar")
async def get_region_calendar(
    region_code: RegionCodePath, school_year: SchoolYearQuery, principal: Authenticated, rt: Runtime
) -> CalendarView:
    # A region may read its own calendar, those below it and those it inherits from above.
    above = principal.kind == "region" and region_code in region_chain(principal.value)
    if principal.kind == "school" or not (above or principal.covers_region(region_code)):
        raise Forbidden(f"scope {principal.scope} does not cover region {region_code}")
    calendar = await region_calendar(rt.engine, region_code, school_year)
    if calendar is None:
        raise NotFound(f"region {region_code} has published no calendar for {school_year}")
    return CalendarView.of(calendar)


@school_router.get("/{school_code}/calendar", response_model=SchoolCalendarOut, summary="The calendar a school uses")
async def get_school_calendar(
    school_code: SchoolCodePath, school_year: SchoolYearQuery, principal: Authenticated, rt: Runtime
) -> SchoolCalendarOut:
    county = await school_county(principal, school_code, rt)
    calendar = await effective_calendar(rt.engine, county, school_year)
    if calendar is None:
        raise NotFound(f"no calendar for {school_year} is published for school {school_code} or any region above it")
    return SchoolCalendarOut(**CalendarView.of(calendar).model_dump(), school_code=school_code, county_code=county)


async def school_county(principal: Principal, school_code: str, rt: Runtime) -> str:
    """The school's county, once the token may read the school (its own, a region above it, national, admin)."""
    if principal.kind == "school" and principal.value != school_code:
        raise Forbidden(f"scope {principal.scope} does not cover school {school_code}")
    county = await rt.school_county(school_code)
    if county is None:
        if principal.kind == "region":
            raise Forbidden(f"scope {principal.scope} does not cover school {school_code}")
        raise NotFound(f"unknown school {school_code}")
    if principal.kind == "region" and not principal.covers_school(school_code, county):
        raise Forbidden(f"scope {principal.scope} does not cover school {school_code}")
    return county
