"""Figures of regions over a period: counters plus what is read beside them (cohorts, schools, orders, cases)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from datetime import date

import sqlalchemy as sa
from baoxue_common.calendar_store import school_days
from baoxue_common.regions import sub_regions
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.adapters import counters as counter_store
from reporting.adapters.orm import calendars, cases, counters, orders, schools
from reporting.domain.indicators import Extra, Figure, figures
from reporting.domain.metrics import regions_of
from reporting.domain.periods import Period, parse_period
from reporting.domain.regions import name_of, tier_of_code

COHORT_YEARS = 8
"""Grade 9 of a school year entered grade 1 eight school years before."""
CLOSED = "closed"
Where = sa.ColumnElement[bool]


def prefix_of(region: str) -> str:
    """The county-code prefix of a 6-digit region: '' for the nation, 2 / 4 / 6 digits below."""
    tier = tier_of_code(region)
    return {"national": "", "province": region[:2], "city": region[:4]}.get(tier, region)


def covers(region: str, county: str, school: str | None) -> bool:
    """Whether a row of a county (and school) counts in a region."""
    return region in targets(county, school, {region})


def targets(county: str, school: str | None, wanted: Collection[str]) -> list[str]:
    """The asked-for regions a row of a county (and school) counts in: the chain counters roll up along."""
    return [r for r in regions_of(county, school) if r in wanted]


def cohort_period(period: Period) -> Period:
    """The school year whose grade 1 is the grade 9 of the school year the period ends in."""
    end = period.end
    start = end.year if end.month >= 9 else end.year - 1
    first = start - COHORT_YEARS
    return parse_period("school_year", f"{first}-{first + 1}")


def _where(county: sa.ColumnElement[str], school: sa.ColumnElement[str | None], regions: Sequence[str]) -> Where:
    """Rows of any of the regions (schools by code, regions by county prefix)."""
    tests: list[Where] = [school.in_([r for r in regions if len(r) == 10])]
    tests += [county.startswith(prefix_of(r), autoescape=True) for r in regions if len(r) != 10]
    return sa.or_(*tests)


async def _cohorts(session: AsyncSession, regions: Sequence[str], period: Period) -> dict[str, int]:
    """Grade-1 pupils in school at the end of the cohort's school year, per region."""
    c = counters.c
    rows = await session.execute(
        sa.select(c.region_code, sa.func.sum(c.n))
        .where(c.region_code.in_(list(regions)), c.metric == "in_school", c.dim == "grade:1")
        .where(c.month <= cohort_period(period).last_month)
        .group_by(c.region_code)
    )
    return {r[0]: int(r[1]) for r in rows}


async def _submissions(
    session: AsyncSession, regions: Sequence[str], period: Period, today: date
) -> tuple[Counter[str], Counter[str]]:
    """Schools per region, and those that submitted fewer days than their calendar had school days."""
    s, c = schools.c, counters.c
    submitted = (
        sa.select(sa.func.coalesce(sa.func.sum(c.n), 0))
        .where(c.region_code == s.school_code, c.metric == "days_submitted", c.dim == "")
        .where(c.month >= period.first_month, c.month <= period.last_month)
        .scalar_subquery()
    )
    rows = await session.execute(
        sa.select(s.school_code, s.county_code, submitted).where(_where(s.county_code, s.school_code, regions))
    )
    last, wanted = min(period.end, today), set(regions)
    expected: dict[str, int] = {}
    total: Counter[str] = Counter()
    missing: Counter[str] = Counter()
    for school, county, done in rows:
        if county not in expected:
            days = await school_days(session, calendars, county)
            expected[county] = days.count(period.start, last)
        for region in targets(county, school, wanted):
            total[region] += 1
            missing[region] += int(done) < expected[county]
    return total, missing


async def _orders_overdue(session: AsyncSession, regions: Sequence[str], as_of: date) -> Counter[str]:
    """Orders to correct past their deadline on `as_of` whose case had neither returned nor gone further."""
    o = orders.c
    rows = await session.execute(
        sa.select(o.county_code, o.school_code, sa.func.count())
        .where(_where(o.county_code, o.school_code, regions), o.deadline < as_of, o.issued_on <= as_of)
        .where(sa.or_(o.resolved_on.is_(None), o.resolved_on > as_of))
        .group_by(o.county_code, o.school_code)
    )
    out: Counter[str] = Counter()
    wanted = set(regions)
    for county, school, n in rows:
        for region in targets(county, school, wanted):
            out[region] += n
    return out


async def _caseloads(session: AsyncSession, regions: Sequence[str]) -> dict[str, Counter[str]]:
    """Open (not closed) cases per assignee in each region, as they stand now."""
    k = cases.c
    who = sa.func.unnest(k.assignees).label("assignee")
    inner = sa.select(k.county_code, k.school_code, who).where(
        _where(k.county_code, k.school_code, regions), k.status != CLOSED
    )
    sub = inner.subquery()
    rows = await session.execute(
        sa.select(sub.c.county_code, sub.c.school_code, sub.c.assignee, sa.func.count()).group_by(
            sub.c.county_code, sub.c.school_code, sub.c.assignee
        )
    )
    out: dict[str, Counter[str]] = defaultdict(Counter)
    wanted = set(regions)
    for county, school, assignee, n in rows:
        for region in targets(county, school, wanted):
            out[region][assignee] += n
    return out


async def many_figures(
    session: AsyncSession, regions: Sequence[str], period: Period, today: date
) -> dict[str, dict[str, Figure]]:
    """Figures of several regions over one period: one read of counters for them all."""
    regions = list(dict.fromkeys(regions))
    if not regions:
        return {}
    counts = await counter_store.read(session, regions, period)
    cohorts = await _cohorts(session, regions, period)
    school_count, not_submitting = await _submissions(session, regions, period, today)
    overdue = await _orders_overdue(session, regions, min(period.end, today))
    loads = await _caseloads(session, regions)
    out: dict[str, dict[str, Figure]] = {}
    for region in regions:
        load = loads.get(region, Counter())
        per_person = tier_of_code(region) in ("school", "county")
        extra = Extra(
            cohort_grade1=cohorts.get(region) or None,
            schools=school_count[region],
            schools_not_submitting=not_submitting[region],
            orders_overdue=overdue[region],
            caseload=dict(load) if per_person else {},
            caseload_assignees=len(load),
            caseload_max=max(load.values(), default=0),
        )
        out[region] = figures(counts[region], extra)
    return out


async def region_figures(session: AsyncSession, region: str, period: Period, today: date) -> dict[str, Figure]:
    """Every figure of a region (a school or a 6-digit region) over a period, as of `today`."""
    return (await many_figures(session, [region], period, today))[region]


async def children_of(session: AsyncSession, parent: str) -> list[str]:
    """The regions one tier below: schools of a county, counties of a city, cities of a province, provinces.

    Above a county: those in use in GB/T 2260 (with figures or not), and any other code with counters.
    """
    tier = tier_of_code(parent)
    if tier == "school":
        return []
    if tier == "county":
        query = sa.select(schools.c.school_code).where(schools.c.county_code == parent)
        return list(await session.scalars(query.order_by(schools.c.school_code)))
    reporting = await _with_counters(session, candidates(parent))
    return sorted(set(sub_regions(parent)) | set(reporting))


def candidates(parent: str) -> list[str]:
    """Every code one tier below a 6-digit region could have (provinces, cities of a province, counties)."""
    tier = tier_of_code(parent)
    if tier == "national":
        return [f"{n:02d}0000" for n in range(11, 100)]
    if tier == "province":
        return [f"{parent[:2]}{n:02d}00" for n in range(1, 100)]
    return [f"{parent[:4]}{n:02d}" for n in range(1, 100)]


async def _with_counters(session: AsyncSession, codes: Sequence[str]) -> list[str]:
    """The codes that have any counter, in order: one index probe each (no scan of the counters)."""
    code = sa.func.unnest(sa.cast(list(codes), ARRAY(sa.Text))).table_valued("code").render_derived(name="wanted")
    found = await session.scalars(
        sa.select(code.c.code).where(sa.exists().where(counters.c.region_code == code.c.code)).order_by(code.c.code)
    )
    return list(found)


async def sub_region_figures(
    session: AsyncSession, parent: str, period: Period, today: date
) -> dict[str, dict[str, Figure]]:
    """The figures of each region one tier below `parent`, keyed by code."""
    return await many_figures(session, await children_of(session, parent), period, today)


async def region_label(session: AsyncSession, code: str) -> str:
    """A region's Chinese name: a school's registered name, else GB/T 2260; the code when unknown."""
    if len(code) == 10:
        name = await session.scalar(sa.select(schools.c.name).where(schools.c.school_code == code))
        return name or code
    return name_of(code) or code


async def school_county(session: AsyncSession, school_code: str) -> str | None:
    """The county of a school reporting knows (registered with SchoolRegistered); None for an unknown school."""
    found: str | None = await session.scalar(
        sa.select(schools.c.county_code).where(schools.c.school_code == school_code)
    )
    return found


async def region_labels(session: AsyncSession, codes: Sequence[str]) -> dict[str, str]:
    """Chinese names of several regions and schools (one query for the schools)."""
    names = {code: name_of(code) or code for code in codes}
    wanted = sorted({code for code in codes if len(code) == 10})
    if wanted:
        rows = await session.execute(
            sa.select(schools.c.school_code, schools.c.name).where(schools.c.school_code.in_(wanted))
        )
        names.update({r.school_code: r.name for r in rows})
    return names


async def school_counties(session: AsyncSession, codes: Sequence[str]) -> dict[str, str]:
    """The registered county of each known school among `codes`."""
    if not codes:
        return {}
    rows = await session.execute(
        sa.select(schools.c.school_code, schools.c.county_code).where(schools.c.school_code.in_(sorted(set(codes))))
    )
    return {r.school_code: r.county_code for r in rows}
