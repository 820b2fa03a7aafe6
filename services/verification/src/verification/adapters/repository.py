"""Queries and writes of verification, inside a unit of work."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from baoxue_common.regions import county_prefix
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from verification.adapters.orm import absences, pending_absences, pupils, suspicions, warnings
from verification.domain.standing import Standing


async def remember_pupil(
    session: AsyncSession,
    student_id: str,
    school_code: str,
    county: str,
    standing: Standing,
    enrolled_on: date | None = None,
) -> None:
    """Keep the copy of a pupil's school, county, priority groups and poverty household.

    An enrolment (`enrolled_on` given) puts the pupil back on a roll: left_on is NULL again, unless the pupil
    left this same school after that enrolment (a late, stale enrolment).
    """
    values: dict[str, Any] = {
        "student_id": student_id,
        "school_code": school_code,
        "county_code": county,
        "groups": list(standing.groups),
        "poverty_household": standing.poverty_household,
    }
    if enrolled_on is not None:
        values["enrolled_on"] = enrolled_on
    stmt = insert(pupils).values(values)
    # Only the columns given: national_id_hash is kept by field_findings, the roll dates by the roll's events.
    set_: dict[str, Any] = {k: stmt.excluded[k] for k in values if k != "student_id"}
    if enrolled_on is not None:
        stale = sa.and_(pupils.c.school_code == stmt.excluded.school_code, pupils.c.left_on > enrolled_on)
        set_["left_on"] = sa.case((stale, pupils.c.left_on), else_=sa.null())
    await session.execute(stmt.on_conflict_do_update(index_elements=[pupils.c.student_id], set_=set_))


async def pupil_standing(session: AsyncSession, student_id: str) -> Standing:
    """The priority groups and poverty household of a pupil (none and False if the roll has not told yet)."""
    row = (
        await session.execute(
            sa.select(pupils.c.groups, pupils.c.poverty_household).where(pupils.c.student_id == student_id)
        )
    ).first()
    return Standing.of(row.groups, row.poverty_household) if row else Standing()


# A session (one poll of the consumer) keeps the absence days of the pupils it has read, in step with every
# set_absence on it, so judging a poll's absences asks the database once, not once per event (write_absences).
_DAYS = "verification.absence_days"
# (student, day) → events of the run still to come whose row write_absences already wrote (the run's last value).
_WRITTEN = "verification.absences_written"

AbsenceChange = tuple[str, date, str | None, str | None]
"""(student_id, day, status or None for present, reason) as an event sets it."""


# One statement for a run: the deletes and upserts, and (on the snapshot before them) the days of the pupils named.
_WRITE_RUN = sa.text(
    f"""
    WITH gone AS (
        DELETE FROM {absences.fullname} a
        USING unnest(CAST(:gone_students AS text[]), CAST(:gone_days AS date[])) AS g(student_id, day)
        WHERE a.student_id = g.student_id AND a.day = g.day
    ), put AS (
        INSERT INTO {absences.fullname} (student_id, day, status, reason)
        SELECT * FROM unnest(
            CAST(:students AS text[]), CAST(:days AS date[]), CAST(:statuses AS text[]), CAST(:reasons AS text[])
        )
        ON CONFLICT (student_id, day) DO UPDATE SET status = EXCLUDED.status, reason = EXCLUDED.reason
    )
    SELECT student_id, day, status FROM {absences.fullname} WHERE student_id = ANY(CAST(:load AS text[]))
    """
)


def _known(session: AsyncSession) -> dict[str, tuple[set[date], set[date]]]:
    known: dict[str, tuple[set[date], set[date]]] = session.info.setdefault(_DAYS, {})
    return known


async def write_absences(session: AsyncSession, changes: Sequence[AbsenceChange]) -> None:
    """Write a run of events' absence changes at once (the last per day wins) and read their pupils' days.

    The days are read before the writes, so each event's set_absence, applied after in order, sees the days
    as that event left them: the same judgement as one event at a time, in one statement per run.
    """
    known = _known(session)
    load = sorted({student for student, *_ in changes if student not in known})
    last = {(student, day): (status, reason) for student, day, status, reason in changes}
    gone = [key for key, (status, _) in last.items() if status is None]
    put = [(*key, status, reason) for key, (status, reason) in last.items() if status is not None]
    rows = await session.execute(
        _WRITE_RUN,
        {
            "gone_students": [student for student, _ in gone],
            "gone_days": [day for _, day in gone],
            **{name: [row[i] for row in put] for i, name in enumerate(("students", "days", "statuses", "reasons"))},
            "load": load,
        },
    )
    _keep_days(known, load, rows)
    session.info[_WRITTEN] = Counter((student, day) for student, day, *_ in changes)


def _keep_days(known: dict[str, tuple[set[date], set[date]]], students: Sequence[str], rows: Any) -> None:
    for student in students:
        known[student] = (set(), set())
    for student, day, status in rows:
        known[student][0 if status == "absent_unexcused" else 1].add(day)


async def set_absence(
    session: AsyncSession, student_id: str, day: date, status: str | None, reason: str | None = None
) -> None:
    """Record the pupil's absence status and the school's reason on a day (None: present)."""
    if (found := _known(session).get(student_id)) is not None:
        unexcused, excused = found
        unexcused.discard(day)
        excused.discard(day)
        if status is not None:
            (unexcused if status == "absent_unexcused" else excused).add(day)
    written: Counter[tuple[str, date]] = session.info.get(_WRITTEN, Counter())
    if written[(student_id, day)] > 0:
        written[(student_id, day)] -= 1
        return  # write_absences wrote the run's last value of the day
    if status is None:
        await session.execute(sa.delete(absences).where(absences.c.student_id == student_id, absences.c.day == day))
        return
    stmt = insert(absences).values(student_id=student_id, day=day, status=status, reason=reason)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[absences.c.student_id, absences.c.day], set_={"status": status, "reason": reason}
        )
    )


async def absence_days(session: AsyncSession, student_id: str) -> tuple[set[date], set[date]]:
    """The pupil's unexcused and excused absence days (read once per session, then kept in step)."""
    known = _known(session)
    if student_id not in known:
        rows = await session.execute(
            sa.select(absences.c.student_id, absences.c.day, absences.c.status).where(
                absences.c.student_id == student_id
            )
        )
        _keep_days(known, [student_id], rows)
    unexcused, excused = known[student_id]
    return set(unexcused), set(excused)


async def add_warning(
    session: AsyncSession, student_id: str, run: tuple[date, date], raised_on: date
) -> uuid.UUID | None:
    """Record one early warning per run; return its id, or None if a warning overlaps the run (it is widened)."""
    return await once_per_run(session, warnings, "warning_id", "streak_start", student_id, run, raised_on)


async def once_per_run(
    session: AsyncSession,
    table: sa.Table,
    key: str,
    start: str,
    student_id: str,
    run: tuple[date, date],
    raised_on: date,
) -> uuid.UUID | None:
    """One row of `table` per run of a pupil: a new id, or None when a row overlaps the run (it is widened to it)."""
    first, last = run
    c = table.c
    overlapping = (
        sa.select(c[key])
        .where(c.student_id == student_id, c[start] <= last, c.run_end >= first)
        .order_by(c[start])
        .limit(1)
        .with_for_update()
    )
    earlier = await session.scalar(overlapping)
    if earlier is not None:
        widened = {start: sa.func.least(c[start], first), "run_end": sa.func.greatest(c.run_end, last)}
        await session.execute(sa.update(table).where(c[key] == earlier).values(widened))
        return None
    new_id = uuid.uuid4()
    row = {key: new_id, "student_id": student_id, start: first, "run_end": last, "raised_on": raised_on}
    await session.execute(insert(table).values(row))
    return new_id


async def lock_child(session: AsyncSession, key: str | None) -> None:
    """Serialise the flags of one child (student id or ID hash) until the transaction ends."""
    if key:
        await session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 13))))


async def lock_children(session: AsyncSession, keys: list[str]) -> None:
    """lock_child for many children at once, in one order (two callers never wait on each other in a ring)."""
    if keys:
        locks = sa.text(
            "SELECT pg_advisory_xact_lock(hashtextextended(k, 13)) FROM unnest(CAST(:keys AS text[])) AS k ORDER BY k"
        )
        await session.execute(locks, {"keys": sorted(set(keys))})


async def children_with_open_suspicions(session: AsyncSession, student_ids: list[str], hashes: list[str]) -> set[str]:
    """The student ids and ID hashes, of those given, that an open suspicion already names."""
    query = sa.select(suspicions.c.student_id, suspicions.c.national_id_hash).where(
        suspicions.c.status == "open",
        # Arrays, not expanded IN lists: a cross-check may name more children than a statement takes parameters.
        sa.or_(
            suspicions.c.student_id == sa.func.any(sa.cast(student_ids, ARRAY(sa.Text))),
            suspicions.c.national_id_hash == sa.func.any(sa.cast(hashes, ARRAY(sa.Text))),
        ),
    )
    return {key for row in await session.execute(query) for key in row if key is not None}


async def add_suspicions(session: AsyncSession, rows: list[dict[str, Any]], chunk: int = 1000) -> set[uuid.UUID]:
    """Store many suspicions, each unless it conflicts (add_suspicion's rules); the ids stored."""
    stored: set[uuid.UUID] = set()
    for at in range(0, len(rows), chunk):
        stmt = insert(suspicions).values(rows[at : at + chunk]).on_conflict_do_nothing()
        stored.update(await session.scalars(stmt.returning(suspicions.c.suspicion_id)))
    return stored


async def add_suspicion(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Store a source's suspicion unless it exists (redelivery) or the pupil has one open from the source."""
    stmt = insert(suspicions).values(**row).on_conflict_do_nothing()
    return (await session.scalar(stmt.returning(suspicions.c.suspicion_id))) is not None


async def held_suspect(
    session: AsyncSession, suspicion_id: uuid.UUID, student_id: str | None, source: str
) -> uuid.UUID | None:
    """The suspect a refused flag is already part of: its own row's, or the pupil's open one from the source."""
    held = sa.func.coalesce(suspicions.c.suspect_id, suspicions.c.suspicion_id)
    found: uuid.UUID | None = await session.scalar(sa.select(held).where(suspicions.c.suspicion_id == suspicion_id))
    if found is None and student_id is not None:
        same = (suspicions.c.student_id == student_id, suspicions.c.source == source, suspicions.c.status == "open")
        found = await session.scalar(sa.select(held).where(*same))
    return found


async def open_suspect_of(
    session: AsyncSession, student_id: str | None, national_id_hash: str | None, besides: uuid.UUID
) -> uuid.UUID | None:
    """The open suspect of a child, known by student id or ID hash (the other row `besides` aside)."""
    same = []
    if student_id is not None:
        same.append(suspicions.c.student_id == student_id)
    if national_id_hash is not None:
        same.append(suspicions.c.national_id_hash == national_id_hash)
    if not same:
        return None
    query = (
        sa.select(suspicions.c.suspect_id)
        .where(sa.or_(*same), suspicions.c.status == "open", suspicions.c.suspect_id.is_not(None))
        .where(suspicions.c.suspicion_id != besides)
        .order_by(suspicions.c.flagged_on, suspicions.c.suspicion_id)
        .limit(1)
    )
    found: uuid.UUID | None = await session.scalar(query)
    return found


async def set_suspect(session: AsyncSession, suspicion_id: uuid.UUID, suspect_id: uuid.UUID) -> None:
    """Make a source's suspicion part of a suspect."""
    await session.execute(
        sa.update(suspicions).where(suspicions.c.suspicion_id == suspicion_id).values(suspect_id=suspect_id)
    )


async def suspect_rows(session: AsyncSession, suspect_id: uuid.UUID, *, open_only: bool) -> list[sa.Row[Any]]:
    """The sources' suspicions of a suspect (only the open ones if told), first flagged first, locked."""
    query = sa.select(suspicions).where(suspicions.c.suspect_id == suspect_id)
    if open_only:
        query = query.where(suspicions.c.status == "open")
    query = query.order_by(suspicions.c.flagged_on, suspicions.c.suspicion_id).with_for_update()
    return list(await session.execute(query))


async def end_suspicions(session: AsyncSession, ids: list[uuid.UUID], status: str, reason: str | None) -> None:
    """Close open suspicions: cleared (the reason) or confirmed."""
    await session.execute(
        sa.update(suspicions)
        .where(suspicions.c.suspicion_id.in_(ids), suspicions.c.status == "open")
        .values(status=status, ended_reason=reason)
    )


async def episode_verified(session: AsyncSession, student_id: str, grounds: tuple[date, date]) -> bool:
    """Whether a verification already ended an attendance suspicion resting on days of this run."""
    first, last = grounds
    c = suspicions.c
    query = sa.select(sa.literal(1)).where(
        c.student_id == student_id,
        c.source == "attendance",
        c.status != "open",
        c.ended_reason.is_distinct_from("attendance_corrected"),
        c.grounds_start <= last,
        c.grounds_end >= first,
    )
    return (await session.scalar(query.limit(1))) is not None


async def open_attendance_suspicion(session: AsyncSession, student_id: str) -> sa.Row[Any] | None:
    """The pupil's open suspicion if attendance alone raised it and its grounds are known."""
    rows = await session.execute(
        sa.select(suspicions)
        .where(
            suspicions.c.student_id == student_id,
            suspicions.c.status == "open",
            suspicions.c.source == "attendance",
            suspicions.c.grounds_start.is_not(None),
        )
        .with_for_update()
    )
    return rows.first()


async def open_suspicions_of(session: AsyncSession, student_id: str) -> list[sa.Row[Any]]:
    """Every open suspicion of a pupil, locked for update."""
    rows = await session.execute(
        sa.select(suspicions)
        .where(suspicions.c.student_id == student_id, suspicions.c.status == "open")
        .order_by(suspicions.c.flagged_on)
        .with_for_update()
    )
    return list(rows)


async def set_suspicion_standing(session: AsyncSession, suspicion_id: uuid.UUID, standing: Standing) -> None:
    """Record the standing a suspicion's flag now carries."""
    await session.execute(
        sa.update(suspicions)
        .where(suspicions.c.suspicion_id == suspicion_id)
        .values(groups=list(standing.groups), poverty_household=standing.poverty_household)
    )


async def hold_absence(session: AsyncSession, student_id: str, day: date, county: str, school_code: str) -> None:
    """Remember an absence to judge once a calendar of its county spans its day."""
    stmt = insert(pending_absences).values(student_id=student_id, day=day, county_code=county, school_code=school_code)
    await session.execute(stmt.on_conflict_do_nothing())


async def pending_under(session: AsyncSession, region: str) -> list[tuple[str, date, str, str]]:
    """(student, day, county, school) of the absences waiting in the counties a region covers, oldest first."""
    rows = await session.execute(
        sa.select(pending_absences)
        .where(pending_absences.c.county_code.startswith(county_prefix(region)))
        .order_by(pending_absences.c.student_id, pending_absences.c.day)
    )
    return [(r.student_id, r.day, r.county_code, r.school_code) for r in rows]


async def release_absence(session: AsyncSession, student_id: str, day: date) -> None:
    """Forget a waiting absence once judged."""
    await session.execute(
        sa.delete(pending_absences).where(pending_absences.c.student_id == student_id, pending_absences.c.day == day)
    )
