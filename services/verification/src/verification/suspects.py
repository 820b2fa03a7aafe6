"""One way in for every source: a suspect (疑似辍学) is opened through `flag`, whatever found the child.

Attendance, the national platform's lists, cross-checks, field findings and roster gaps all call `flag`, so the
rules about one suspect per child live in one place. Each source keeps its own suspicion row (attendance needs
its grounds, a leave or a finding its own id), but a child (by student id, else by the ID number's blind index)
has at most one open suspect: every open row of the child carries the first row's id as `suspect_id`, the only
id the bus ever sees (as `suspicion_id`), and the suspect has one verification. A source whose grounds disappear
calls `end`: the suspect stays while another source holds it, and is cleared when the last one lets go.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from baoxue_common.uow import UnitOfWork
from baoxue_contracts.events.verification import SuspectedDropoutFlagged, SuspicionCleared, SuspicionSource

from verification.adapters import repository as repo
from verification.adapters import verifications_repository as vrepo
from verification.domain.standing import Standing
from verification.verifications import assign, assign_many, close_by_system


@dataclass(frozen=True, slots=True)
class Flag:
    """What a source found about one child: a pupil (student_id) or a child known by ID hash or name."""

    source: SuspicionSource
    county_code: str
    flagged_on: date
    reason: str
    school_code: str | None = None
    student_id: str | None = None
    groups: tuple[str, ...] = ()
    poverty_household: bool = False
    national_id_hash: str | None = None
    name: str | None = None
    birth_date: date | None = None
    source_ref: str | None = None
    consecutive_unexcused_days: int | None = None
    cumulative_unexcused_days: int | None = None
    grounds: tuple[date, date] | None = None
    suspicion_id: uuid.UUID | None = None  # a source with its own stable id (a leave, a finding) passes it


@dataclass(frozen=True, slots=True)
class Flagged:
    """The suspect the child now has (its id, as the bus knows it), and whether this call opened it."""

    suspicion_id: uuid.UUID
    created: bool


async def flag(uow: UnitOfWork, found: Flag, occurred_at: datetime) -> Flagged:
    """Record the source's suspicion of the child and emit SuspectedDropoutFlagged with the child's suspect id.

    The first source opens the suspect and its verification; another source joins it and the flag is emitted
    again with the same id and every source holding it. A source already holding the child (or a redelivery)
    changes nothing and returns the suspect.
    """
    await repo.lock_child(uow.session, found.student_id or found.national_id_hash)
    own_id = found.suspicion_id or uuid.uuid4()
    row = _row(found, own_id)
    if not await repo.add_suspicion(uow.session, row):
        held = await repo.held_suspect(uow.session, own_id, found.student_id, found.source)
        assert held is not None, "add_suspicion refuses only a stored row or the pupil's open one from the source"
        return Flagged(held, created=False)
    joined = await repo.open_suspect_of(uow.session, found.student_id, found.national_id_hash, besides=own_id)
    suspect_id = joined or own_id
    await repo.set_suspect(uow.session, own_id, suspect_id)
    rows = await repo.suspect_rows(uow.session, suspect_id, open_only=True)
    _emit_flag(uow, found, suspect_id, rows, occurred_at)
    if joined is None:
        await assign(uow, found, suspect_id, occurred_at)
    return Flagged(suspect_id, created=joined is None)


async def flag_many(uow: UnitOfWork, found: Sequence[tuple[Flag, datetime]]) -> list[Flagged]:
    """`flag` for many children (a cross-check, a national list), in the same order and with the same results.

    Children nothing suspects yet, each named once, are opened set-based (their rows, verifications and events in
    a few statements); every other flag (a child already suspected, a repeat in the list, a source's own id, a
    child with neither student id nor ID hash) goes through `flag`.
    """
    keys = [k for f, _ in found if (k := f.student_id or f.national_id_hash)]
    await repo.lock_children(uow.session, keys)
    named = [f.student_id for f, _ in found if f.student_id]
    hashes = [f.national_id_hash for f, _ in found if f.national_id_hash]
    taken = await repo.children_with_open_suspicions(uow.session, named, hashes)
    fresh: dict[int, dict[str, Any]] = {}
    for at, (f, _) in enumerate(found):
        names = {n for n in (f.student_id, f.national_id_hash) if n}
        if names and not names & taken and f.suspicion_id is None:
            taken |= names  # a second flag of the same child in the list joins through `flag`
            own_id = uuid.uuid4()
            fresh[at] = _row(f, own_id) | {"suspect_id": own_id}
    stored = await repo.add_suspicions(uow.session, list(fresh.values()))
    results: dict[int, Flagged] = {}
    opened = []
    for at, row in fresh.items():
        if row["suspicion_id"] in stored:
            f, when = found[at]
            _emit_flag(uow, f, row["suspicion_id"], [SimpleNamespace(**row)], when)
            opened.append((f, row["suspicion_id"], when))
            results[at] = Flagged(row["suspicion_id"], created=True)
    await assign_many(uow, opened)
    for at, (f, when) in enumerate(found):
        if at not in results:
            results[at] = await flag(uow, f, when)
    return [results[at] for at in range(len(found))]


def _row(found: Flag, own_id: uuid.UUID) -> dict[str, Any]:
    """The suspicions row of a source's flag."""
    start, end_ = found.grounds or (None, None)
    return {
        "suspicion_id": own_id,
        "source": found.source,
        "county_code": found.county_code,
        "school_code": found.school_code,
        "student_id": found.student_id,
        "national_id_hash": found.national_id_hash,
        "flagged_on": found.flagged_on,
        "reason": found.reason,
        "consecutive_unexcused_days": found.consecutive_unexcused_days,
        "cumulative_unexcused_days": found.cumulative_unexcused_days,
        "groups": list(found.groups),
        "poverty_household": found.poverty_household,
        "grounds_start": start,
        "grounds_end": end_,
    }


def _standing(rows: list[Any]) -> Standing:
    """The standing the suspect's flag carries: every group and the poverty household any of its sources knows."""
    return Standing.of([g for r in rows for g in r.groups], any(r.poverty_household for r in rows))


def _sources(rows: list[Any]) -> tuple[SuspicionSource, ...]:
    return tuple(sorted({r.source for r in rows}))


async def holding(uow: UnitOfWork, suspect_id: uuid.UUID) -> tuple[SuspicionSource, ...]:
    """The sources holding a suspect now."""
    return _sources(await repo.suspect_rows(uow.session, suspect_id, open_only=True))


def _emit_flag(uow: UnitOfWork, found: Flag, suspect_id: uuid.UUID, rows: list[Any], at: datetime) -> None:
    standing = _standing(rows)
    event = SuspectedDropoutFlagged(
        suspicion_id=suspect_id,
        source=found.source,
        county_code=found.county_code,
        school_code=found.school_code,
        student_id=found.student_id,
        flagged_on=found.flagged_on,
        reason=found.reason,
        consecutive_unexcused_days=found.consecutive_unexcused_days,
        cumulative_unexcused_days=found.cumulative_unexcused_days,
        groups=standing.groups,
        poverty_household=standing.poverty_household,
        national_id_hash=found.national_id_hash,
        name=found.name,
        birth_date=found.birth_date,
        source_ref=found.source_ref,
        sources=_sources(rows),
    )
    where: dict[str, Any] = {
        "region": found.county_code,
        "school_code": found.school_code,
        "subject_id": found.student_id,
    }
    uow.emit(event, occurred_at=at, **where)


def flag_of_row(row: Any) -> Flag:
    """The Flag a stored suspicion was raised with (its standing included)."""
    grounds = (row.grounds_start, row.grounds_end) if row.grounds_start is not None else None
    return Flag(
        source=row.source,
        county_code=row.county_code,
        flagged_on=row.flagged_on,
        reason=row.reason,
        school_code=row.school_code,
        student_id=row.student_id,
        groups=tuple(row.groups),
        poverty_household=row.poverty_household,
        national_id_hash=row.national_id_hash,
        consecutive_unexcused_days=row.consecutive_unexcused_days,
        cumulative_unexcused_days=row.cumulative_unexcused_days,
        grounds=grounds,
        suspicion_id=row.suspicion_id,
    )


async def end(uow: UnitOfWork, row: Any, reason: str, on: date, note: str, occurred_at: datetime) -> None:
    """A source's grounds are gone: end its suspicion; clear the suspect (and its verification) if it held it last.

    While another source holds the suspect, its flag is emitted again with the sources left, and nothing is cleared.
    """
    await repo.lock_child(uow.session, row.student_id or row.national_id_hash)
    await repo.end_suspicions(uow.session, [row.suspicion_id], "cleared", reason)
    suspect_id = row.suspect_id or row.suspicion_id
    left = await repo.suspect_rows(uow.session, suspect_id, open_only=True)
    if left:
        _emit_flag(uow, flag_of_row(left[0]), suspect_id, left, occurred_at)
        return
    verification = await vrepo.verification_of_suspect(uow.session, suspect_id)
    everyone = await repo.suspect_rows(uow.session, suspect_id, open_only=False)
    cleared = SuspicionCleared(
        verification_id=verification.verification_id if verification else None,
        suspicion_id=suspect_id,
        source=row.source,
        county_code=row.county_code,
        school_code=row.school_code,
        student_id=row.student_id,
        reason=reason,  # a ClearReason, as every caller passes
        cleared_on=on,
        note=note,
        groups=_standing(everyone or [row]).groups,
        sources=_sources(everyone or [row]),
    )
    where = {"region": row.county_code, "school_code": row.school_code, "subject_id": row.student_id}
    uow.emit(cleared, occurred_at=occurred_at, **where)
    if verification is not None:
        await close_by_system(uow, verification, reason, on, note)
