"""Consolidation after a return (巩固): when a returned child's case may be proposed for close-out (销号).

The ledger keeps copies of the published rules and school calendars; a daily sweep proposes every returned
case whose child has stayed `return_consolidation_school_days` school days.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import UTC, date, datetime, time

from baoxue_common.calendar import Calendar, SchoolDays, Term
from baoxue_common.calendar_store import save_calendar, school_days
from baoxue_common.consumer import EventHandlers
from baoxue_common.runtime import ServiceRuntime
from baoxue_common.uow import UnitOfWork, UnitOfWorkFactory
from baoxue_contracts import Envelope
from baoxue_contracts.events.attendance import CalendarPublished
from baoxue_contracts.events.ledger import CaseClosureProposed
from baoxue_contracts.events.verification import RulesPublished
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.adapters import history
from ledger.adapters import lifecycle_repository as repo
from ledger.adapters.orm import calendars
from ledger.changes import record_change
from ledger.domain.consolidation import consolidation_days, is_due, school_days_back

log = logging.getLogger(__name__)


async def period(session: AsyncSession, county_code: str) -> int:
    """The county's consolidation period in school days (nearest region that sets it, else the national 60)."""
    return consolidation_days(county_code, await repo.chain_overrides(session, county_code))


async def due_on(session: AsyncSession, county_code: str, from_day: date) -> date | None:
    """The school day after which a child back since `from_day` has stayed the consolidation period, if known."""
    days = await school_days(session, calendars, county_code)
    return days.after(from_day, await period(session, county_code))


async def rules_published(event: RulesPublished, envelope: Envelope, uow: UnitOfWork) -> None:
    """Keep the region's own values of the rules the ledger uses."""
    values = {name: getattr(event, name) for name in repo.RULE_COLUMNS}
    await repo.save_rules(uow.session, event.region_code, values)


async def calendar_published(event: CalendarPublished, envelope: Envelope, uow: UnitOfWork) -> None:
    """Keep the calendar (never replacing a newer one)."""
    terms = tuple(Term(t.name, t.start, t.end) for t in event.terms)
    calendar = Calendar(
        event.region_code, event.school_year, terms, frozenset(event.holidays), frozenset(event.makeup_days)
    )
    await save_calendar(uow.session, calendars, calendar, published_at=envelope.recorded_at)


async def propose_closures(uow: UnitOfWork, today: date, *, counties: Collection[str] | None = None) -> int:
    """Propose for close-out every returned case whose child has stayed the period by `today`; return how many.

    Runs inside the caller's unit of work; a case is proposed once (it leaves `returned`), so a rerun is safe.
    """
    proposed = 0
    known: dict[str, tuple[SchoolDays, int]] = {}
    for case in await repo.returned_cases(uow.session, counties):
        county = case["county_code"]
        if county not in known:
            known[county] = (await school_days(uow.session, calendars, county), await period(uow.session, county))
        days, needed = known[county]
        back = school_days_back(days, case["consolidation_from"], today)
        if not is_due(back, needed):
            continue
        row = await repo.update_case(uow.session, case["case_id"], {"status": "closure_proposed", "proposed_on": today})
        await record_change(uow, "dropouts", row, "updated", today, case)
        event = CaseClosureProposed(
            case_id=row["case_id"],
            county_code=county,
            school_code=row["school_code"],
            student_id=row["student_id"],
            proposed_on=today,
            returned_on=row["returned_on"] or row["consolidation_from"],
            school_days_back=back,
        )
        occurred_at = datetime.combine(today, time(12, 0), tzinfo=UTC)
        sent = uow.emit(
            event, region=county, occurred_at=occurred_at, school_code=row["school_code"], subject_id=row["student_id"]
        )
        await history.note(
            uow.session,
            child_key=row["child_key"],
            event_type=sent.event_type,
            producer="ledger",
            occurred_at=occurred_at,
            actor="system",
            summary={"proposed_on": today.isoformat(), "school_days_back": back},
            student_id=row["student_id"],
            national_id_hash=row["national_id_hash"],
            county_code=county,
            case_id=row["case_id"],
            event_id=sent.event_id,
        )
        proposed += 1
    return proposed


async def run_sweep(
    uows: ServiceRuntime | UnitOfWorkFactory, day: date, counties: Collection[str] | None = None
) -> int:
    """Run the close-out proposal sweep for `day` in one transaction; return how many cases were proposed."""
    factory = uows.uow if isinstance(uows, ServiceRuntime) else uows
    async with factory() as uow:
        proposed = await propose_closures(uow, day, counties=counties)
        await uow.commit()
    return proposed


HANDLERS: EventHandlers = {RulesPublished: [rules_published], CalendarPublished: [calendar_published]}
