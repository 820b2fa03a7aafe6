"""Reporting's feeds of reference, roll, attendance and early-warning events: small tables and counters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date

import sqlalchemy as sa
from baoxue_common.calendar import Calendar, Term
from baoxue_common.calendar_store import save_calendar
from baoxue_common.uow import UnitOfWork
from baoxue_contracts import Envelope
from baoxue_contracts.events.attendance import (
    AbsenceRecorded,
    AttendanceSubmitted,
    CalendarPublished,
    PresenceRecorded,
    SchoolRegistered,
    StudentEnrolled,
    StudentLeft,
    StudentUpdated,
)
from baoxue_contracts.events.verification import EarlyWarningRaised
from sqlalchemy.dialects.postgresql import ARRAY

from reporting.adapters.bulk import any_of, upsert
from reporting.adapters.orm import attendance_days, calendars, pupils, schools
from reporting.domain.metrics import Delta, group_dims, regions_of
from reporting.domain.periods import month_of

Today = Callable[[], date]
"""The runtime's clock: the current periods a stock's change also marks."""
PRESENT = ("present", "late", "left_early")
"""Statuses that count a pupil as attending (到校): on time, late or leaving early."""
ABSENT = frozenset({"absent_excused", "absent_unexcused"})


def spread(out: Counter[Delta], county: str, school: str | None, day: date, key: tuple[str, str], n: int = 1) -> None:
    """Add n to a counter in every region a school (or county) rolls up to."""
    metric, dim = key
    for region in regions_of(county, school):
        out[(region, month_of(day), metric, dim)] += n


async def apply(uow: UnitOfWork, moved: Counter[Delta], today: Today) -> None:
    """Add deltas and mark their figures dirty (handlers.apply_deltas, imported late: handlers imports us)."""
    from reporting.handlers import apply_deltas

    await apply_deltas(uow, Counter({k: v for k, v in moved.items() if v}), today())


async def schools_registered(items: Sequence[tuple[SchoolRegistered, Envelope]], uow: UnitOfWork) -> None:
    """Keep each school's county and name (the last registration wins)."""
    rows = {
        e.school_code: {"school_code": e.school_code, "county_code": e.county_code, "name": e.name} for e, _ in items
    }
    await upsert(uow.session, schools, list(rows.values()), ["school_code"])


async def calendars_published(items: Sequence[tuple[CalendarPublished, Envelope]], uow: UnitOfWork) -> None:
    """Keep each calendar (never replacing a newer one), as the ledger does."""
    for event, envelope in items:
        terms = tuple(Term(t.name, t.start, t.end) for t in event.terms)
        calendar = Calendar(
            event.region_code, event.school_year, terms, frozenset(event.holidays), frozenset(event.makeup_days)
        )
        await save_calendar(uow.session, calendars, calendar, published_at=envelope.recorded_at)


async def pupils_on_roll(items: Sequence[tuple[StudentEnrolled | StudentUpdated, Envelope]], uow: UnitOfWork) -> None:
    """Keep each pupil's school and class."""
    rows = {
        e.student_id: {"student_id": e.student_id, "school_code": e.school_code, "class_name": e.class_name}
        for e, _ in items
    }
    await upsert(uow.session, pupils, list(rows.values()), ["student_id"])


async def pupils_left(items: Sequence[tuple[StudentLeft, Envelope]], uow: UnitOfWork) -> None:
    """Forget pupils who left the roll of the school that listed them (one statement per poll)."""
    left = sorted({(e.student_id, e.school_code) for e, _ in items})
    gone = (
        sa.func.unnest(
            sa.cast([sid for sid, _ in left], ARRAY(sa.Text)), sa.cast([code for _, code in left], ARRAY(sa.Text))
        )
        .table_valued("student_id", "school_code")
        .render_derived(name="gone")
    )
    await uow.session.execute(
        sa.delete(pupils).where(
            sa.exists().where(pupils.c.student_id == gone.c.student_id, pupils.c.school_code == gone.c.school_code)
        )
    )


async def attendance_submitted(
    items: Sequence[tuple[AttendanceSubmitted, Envelope]], uow: UnitOfWork, *, today: Today = date.today
) -> None:
    """Count each school day's pupils expected and present once: a correction's counts replace the day's.

    AttendanceSubmitted carries the whole day's counts after the batch, so a resubmission moves the
    counters by the difference with what the day held, and `days_submitted` only on the day's first one.
    """
    latest = {(e.school_code, e.date): (e, env.region) for e, env in items}
    keys = sorted(latest)
    held = await uow.session.execute(
        sa.select(attendance_days)
        .where(any_of(attendance_days.c.school_code, (k[0] for k in keys), sa.Text))
        .where(any_of(attendance_days.c.day, (k[1] for k in keys), sa.Date))
        .order_by(attendance_days.c.school_code, attendance_days.c.day)
        .with_for_update()
    )
    before = {(r.school_code, r.day): (r.expected, r.present) for r in held}
    moved: Counter[Delta] = Counter()
    rows = []
    for key in keys:
        event, county = latest[key]
        present = sum(event.counts.get(s, 0) for s in PRESENT)
        old = before.get(key)
        was_expected, was_present = old if old is not None else (0, 0)
        spread(moved, county, event.school_code, event.date, ("attendance_expected", ""), event.total - was_expected)
        spread(moved, county, event.school_code, event.date, ("attendance_present", ""), present - was_present)
        if old is None:
            spread(moved, county, event.school_code, event.date, ("days_submitted", ""))
        rows.append({"school_code": key[0], "day": key[1], "expected": event.total, "present": present})
    await upsert(uow.session, attendance_days, rows, ["school_code", "day"])
    await apply(uow, moved, today)


async def _classes(uow: UnitOfWork, student_ids: Iterable[str]) -> dict[str, str]:
    """The class of each pupil still on a roll."""
    found = await uow.session.execute(
        sa.select(pupils.c.student_id, pupils.c.class_name).where(any_of(pupils.c.student_id, student_ids, sa.Text))
    )
    return {r.student_id: r.class_name for r in found}


def _absence(moved: Counter[Delta], county: str, event: AbsenceRecorded | PresenceRecorded, cls: str | None) -> None:
    """What one attendance mark moves: the new absence in, an absence it corrects out."""
    was = event.previous_status if event.correction and event.previous_status in ABSENT else None
    now = event.status if event.status in ABSENT else None
    if was == now:
        return
    for status, n in ((was, -1), (now, 1)):
        if status is not None:
            spread(moved, county, event.school_code, event.date, ("absences", f"status:{status}"), n)
    total = (now is not None) - (was is not None)
    if total:
        spread(moved, county, event.school_code, event.date, ("absences", ""), total)
        if cls is not None:
            moved[(event.school_code, month_of(event.date), "absences", f"class:{cls}")] += total


Mark = AbsenceRecorded | PresenceRecorded


async def attendance_marks(
    items: Sequence[tuple[Mark, Envelope]], uow: UnitOfWork, *, today: Today = date.today
) -> None:
    """Absences by status per school and month, and per class at the school; corrections move them back."""
    classes = await _classes(uow, (e.student_id for e, _ in items))
    moved: Counter[Delta] = Counter()
    for event, envelope in items:
        _absence(moved, envelope.region, event, classes.get(event.student_id))
    await apply(uow, moved, today)


async def early_warnings_raised(
    items: Sequence[tuple[EarlyWarningRaised, Envelope]], uow: UnitOfWork, *, today: Today = date.today
) -> None:
    """Early warnings (预警) raised, by priority group."""
    moved: Counter[Delta] = Counter()
    for event, _ in items:
        for dim in group_dims(event.groups):
            spread(moved, event.county_code, event.school_code, event.raised_on, ("early_warnings", dim))
    await apply(uow, moved, today)
