"""Daily sweeps for roster gaps that appear with time: stalled transfers and pupils the attendance never names.

Each is `async def f(uow, today) -> int` (suspects opened), run inside the caller's unit of work; running one
twice opens nothing new. Suspects open only through `suspects.flag` (source `roster`). `counties` limits a run
to some counties (an operator's re-run, or a test sharing its database with others); None: all.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time

from baoxue_common.calendar import SchoolDays
from baoxue_common.calendar_store import school_days
from baoxue_common.rules import Rules
from baoxue_common.uow import UnitOfWork

from verification.adapters import roster_sweeps_repository as sweeps_repo
from verification.adapters.orm import calendars
from verification.adapters.rules_repository import rules_of
from verification.domain.roster_sweeps import NOT_ATTENDING, TRANSFER_NOT_COMPLETED, cutoff, transfer_overdue
from verification.suspects import Flag, flag


async def flag_stalled_transfers(uow: UnitOfWork, today: date, *, counties: Collection[str] | None = None) -> int:
    """Flag the pupil of each transfer still pending past `transfer_completion_school_days` (receiving calendar).

    The suspect is the sending school's (it still answers for the pupil); each transfer flags at most once.
    """
    county_of = _Counties(uow)
    opened = 0
    for row in await sweeps_repo.stalled_candidates(uow.session):
        if counties is not None and row.from_county_code not in counties:
            continue
        days, rules = await county_of(row.receiving_county)
        if not transfer_overdue(days, row.requested_on, row.due_on, today, rules.transfer_completion_school_days):
            continue
        found = Flag(
            source="roster",
            county_code=row.from_county_code,
            flagged_on=today,
            reason=TRANSFER_NOT_COMPLETED,
            school_code=row.from_school_code,
            student_id=row.student_id,
            groups=tuple(row.groups),
            poverty_household=row.poverty_household,
            source_ref=f"transfer:{row.transfer_id}",
        )
        flagged = await flag(uow, found, _noon(today))
        if flagged.created:
            await sweeps_repo.set_transfer_suspicion(uow.session, row.transfer_id, flagged.suspicion_id)
            opened += 1
    return opened


async def flag_not_attending(uow: UnitOfWork, today: date, *, counties: Collection[str] | None = None) -> int:
    """Flag pupils on a roll whom attendance has not named for `not_attending_after_school_days` school days.

    A pupil is last seen on the later of last_recorded_on and enrolled_on (a new roll starts the count again);
    never seen at all, a pupil is not judged. One SELECT over every county, each with its own cutoff.
    """
    county_of = _Counties(uow)
    cutoffs: dict[str, date] = {}
    for county in await sweeps_repo.roll_counties(uow.session):
        if counties is not None and county not in counties:
            continue
        days, rules = await county_of(county)
        if (limit := cutoff(days, today, rules.not_attending_after_school_days)) is not None:
            cutoffs[county] = limit
    opened = 0
    for row in await sweeps_repo.unnamed_pupils(uow.session, cutoffs):
        found = Flag(
            source="roster",
            county_code=row.county_code,
            flagged_on=today,
            reason=NOT_ATTENDING,
            school_code=row.school_code,
            student_id=row.student_id,
            groups=tuple(row.groups),
            poverty_household=row.poverty_household,
            grounds=(row.seen, today),  # grounds_start: the day the gap began, so a gap is flagged once
        )
        opened += (await flag(uow, found, _noon(today))).created
    return opened


class _Counties:
    """Calendars and rules of counties, each read once per sweep."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._known: dict[str, tuple[SchoolDays, Rules]] = {}

    async def __call__(self, county: str) -> tuple[SchoolDays, Rules]:
        if county not in self._known:
            session = self._uow.session
            self._known[county] = (await school_days(session, calendars, county), await rules_of(session, county))
        return self._known[county]


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=UTC)
