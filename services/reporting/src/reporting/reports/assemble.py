"""Each report from the database: one figures read (two for the city's trends), then its pure builder."""

from __future__ import annotations

from datetime import date, datetime

from baoxue_common.regions import NATIONAL
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.domain.periods import Period, previous_period
from reporting.reports import (
    city_semester,
    county_quarterly,
    national_bimonthly,
    province_annual,
    school_monthly,
)
from reporting.reports._figures import tree
from reporting.reports.model import Report


async def school_report(session: AsyncSession, school: str, period: Period, today: date, now: datetime) -> Report:
    """学校月报告."""
    found = await tree(session, school, 0, period, today)
    return school_monthly.build(school, found.name(school), period, found.of(school), now)


async def county_report(session: AsyncSession, county: str, period: Period, today: date, now: datetime) -> Report:
    """县级季度复核: the county and its schools."""
    return county_quarterly.build(county, await tree(session, county, 1, period, today), period, now)


async def city_report(session: AsyncSession, city: str, period: Period, today: date, now: datetime) -> Report:
    """地市学期调研: the city and its counties, this semester and the previous one."""
    previous = previous_period(period)
    current, before = await tree(session, city, 1, period, today), await tree(session, city, 1, previous, today)
    return city_semester.build(city, current, before, period, previous, now)


async def province_report(session: AsyncSession, province: str, period: Period, today: date, now: datetime) -> Report:
    """省级学年评估: the province, its cities and their counties."""
    return province_annual.build(province, await tree(session, province, 2, period, today), period, now)


async def national_report(session: AsyncSession, period: Period, today: date, now: datetime) -> Report:
    """全国双月调度: the nation and its provinces."""
    return national_bimonthly.build(await tree(session, NATIONAL, 1, period, today), period, now)
