"""Reporting folds events into counters per region and month, and marks the figures they change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from functools import partial, update_wrapper
from typing import Any

from baoxue_common.calendar_store import school_days
from baoxue_common.consumer import EventHandlers, batched
from baoxue_common.dispatch import BatchHandler
from baoxue_common.uow import UnitOfWork
from baoxue_contracts import Envelope
from baoxue_contracts.events import attendance as att
from baoxue_contracts.events import verification as ver
from baoxue_contracts.events.ledger import CaseEscalated, LedgerEntryChanged
from sqlalchemy.ext.asyncio import AsyncSession

from reporting import casework, feeds
from reporting.adapters import counters
from reporting.adapters.orm import calendars
from reporting.domain.metrics import STOCKS, DaysBetween, Delta, State, deltas
from reporting.domain.periods import CADENCE, period_of
from reporting.domain.regions import tier_of_code


def calendar_days(_county: str, start: date, end: date) -> int:
    """Days from `start` to `end` (the fallback where no school calendar is known)."""
    return max(0, (end - start).days)


async def school_days_between(session: AsyncSession, counties: Iterable[str]) -> DaysBetween:
    """School days after `start` up to `end` in a county's calendars (preloaded once per poll).

    Falls back to calendar days for a county without any published calendar.
    """
    known = {county: await school_days(session, calendars, county) for county in sorted(set(counties))}

    def between(county: str, start: date, end: date) -> int:
        days = known.get(county)
        if days is None or not days.calendars:
            return calendar_days(county, start, end)
        return days.count(start + timedelta(days=1), end)

    return between


def ledger_states(event: LedgerEntryChanged) -> tuple[State | None, State | None]:
    """The entry's counted state before and after a change (None where it is not in the ledger)."""
    after = None if event.change == "removed" else State.of(event.ledger, event)
    if event.before is not None:
        before: State | None = State.of(event.ledger, event.before)
    elif event.change != "added" and event.previous_status is not None:
        # An event from before `before` existed: the same entry with its old status.
        before = State.of(event.ledger, event.model_copy(update={"status": event.previous_status}))
    else:
        before = None
    return before, after


def dirty_keys(moved: Iterable[Delta], today: date) -> set[tuple[str, str, str]]:
    """(region, period, tier) of every figure a set of deltas changes.

    Each region's cadence period of the month moved; a stock moved in an earlier period also changes
    the stock at the end of the current period (`today`'s), so that one is marked as well.
    """
    out: set[tuple[str, str, str]] = set()
    for region, month, metric, _dim in moved:
        tier = tier_of_code(region)
        kind = CADENCE[tier]
        out.add((region, period_of(kind, month).label, tier))
        if metric in STOCKS and month <= today:
            out.add((region, period_of(kind, today).label, tier))
    return out


async def apply_deltas(uow: UnitOfWork, moved: Counter[Delta], today: date | None = None) -> None:
    """Add deltas to the counters and mark the figures they change, in the unit of work's transaction."""
    await counters.add(uow.session, moved)
    await counters.mark_dirty(uow.session, dirty_keys(moved, today or date.today()))


async def ledger_entries_changed(
    items: Sequence[tuple[LedgerEntryChanged, Envelope]], uow: UnitOfWork, *, today: Callable[[], date] = date.today
) -> None:
    """A poll's ledger changes, folded into one upsert of counters."""
    changes = []
    for event, _ in items:
        before, after = ledger_states(event)
        changes.append((event.ledger, event.county_code, before, after, event.changed_on))
    days = await school_days_between(uow.session, (e.county_code for e, _ in items if e.ledger == "dropouts"))
    await apply_deltas(uow, deltas(changes, days), today())


def event_handlers(today: Callable[[], date]) -> EventHandlers:
    """The registry, reading "today" (the current periods) from the runtime's clock."""

    def on(handler: Callable[..., Any]) -> Any:
        wrapped: BatchHandler = update_wrapper(partial(handler, today=today), handler)
        return batched(wrapped)

    return {
        LedgerEntryChanged: [on(ledger_entries_changed), on(casework.cases_followed)],
        att.SchoolRegistered: [batched(feeds.schools_registered)],
        att.CalendarPublished: [batched(feeds.calendars_published)],
        att.StudentEnrolled: [batched(feeds.pupils_on_roll)],
        att.StudentUpdated: [batched(feeds.pupils_on_roll)],
        att.StudentLeft: [batched(feeds.pupils_left)],
        att.AttendanceSubmitted: [on(feeds.attendance_submitted)],
        att.AbsenceRecorded: [on(feeds.attendance_marks)],
        att.PresenceRecorded: [on(feeds.attendance_marks)],
        ver.EarlyWarningRaised: [on(feeds.early_warnings_raised)],
        ver.VerificationAssigned: [on(casework.verifications_assigned)],
        ver.DropoutConfirmed: [on(casework.verifications_done)],
        ver.SuspicionCleared: [on(casework.verifications_done)],
        ver.VerificationOverdue: [on(casework.verifications_overdue)],
        CaseEscalated: [batched(casework.cases_escalated)],
    }


EVENT_HANDLERS: EventHandlers = event_handlers(date.today)
"""The registry with the machine's date (the service uses `event_handlers(runtime.clock.today)`)."""
