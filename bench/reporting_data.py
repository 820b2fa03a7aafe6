"""A synthetic province as the ledger would tell it: LedgerEntryChanged events, school by school.

浙江 (33): its 88 counties of today (GB/T 2260), schools dealt round-robin over them, each school's pupils
added to the school-age ledger (mostly enrolled, grades 1-9, a few percent in a priority group or a
poverty-alleviated household), and a minority of them flagged over the school year: verification, clearing
or confirmation, then a case (escalation, return, close-out, relapse or cancel), with the school-age entry
following the case. Every update carries its `before` snapshot. Events are built with `model_copy` of a
`model_construct` template (no validation: `check_sample` validates one of each kind).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from baoxue_common.regions import county_name
from baoxue_contracts.events.ledger import EntrySnapshot, LedgerEntryChanged

PROVINCE = "330000"
SCHOOL_YEAR = "2025-2026"
FIRST_DAY, LAST_DAY = date(2025, 9, 1), date(2026, 8, 31)
SOURCES = (("attendance", 0.6), ("cross_check", 0.15), ("national_platform", 0.1), ("field", 0.1), ("roster", 0.05))
STATUSES = (
    ("enrolled", 0.985),
    ("studying_elsewhere", 0.003),
    ("home_education", 0.002),
    ("medical_leave", 0.002),
    ("suspended", 0.002),
    ("out_of_school", 0.006),
)
CLEAR_REASONS = ("transferred", "studying_elsewhere", "medical_leave", "data_error", "returned", "attendance_corrected")
CAUSES = ("learning_difficulty", "family_poverty", "work", "illness_disability", "lack_of_guardianship", "other")


@dataclass(frozen=True)
class ProvinceSize:
    """How big the synthetic province is, and how many of its pupils are flagged."""

    schools: int = 20_000
    pupils_per_school: int = 500
    flagged_share: float = 0.02

    @property
    def pupils(self) -> int:
        """Pupils on the school-age ledger."""
        return self.schools * self.pupils_per_school


def counties() -> list[str]:
    """The county-level codes of 浙江 in use today."""
    return [f"33{c:02d}{d:02d}" for c in range(1, 12) for d in range(1, 100) if county_name(f"33{c:02d}{d:02d}")]


def school_code(all_counties: list[str], index: int) -> str:
    """The index-th school: dealt round-robin over the counties, numbered within its county from 0001."""
    county = all_counties[index % len(all_counties)]
    return f"{county}{index // len(all_counties) + 1:04d}"


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    r = rng.random()
    for value, share in weighted:
        r -= share
        if r < 0:
            return value
    return weighted[0][0]


_TEMPLATE = LedgerEntryChanged.model_construct(
    ledger="school_age",
    entry_id=uuid.UUID(int=0),
    change="added",
    county_code="330106",
    status="enrolled",
    changed_on=FIRST_DAY,
    relations=("school",),
)
_SNAPSHOT_FIELDS = tuple(EntrySnapshot.model_fields)


def _event(**fields: Any) -> LedgerEntryChanged:
    return _TEMPLATE.model_copy(update=fields)


def _snapshot(event: LedgerEntryChanged) -> EntrySnapshot:
    """The `before` of the next change of this entry: its counted state now."""
    return EntrySnapshot.model_construct(**{name: getattr(event, name) for name in _SNAPSHOT_FIELDS})


def _next(event: LedgerEntryChanged, **fields: Any) -> LedgerEntryChanged:
    """An update of an entry: the new fields, its previous status and its `before` snapshot."""
    return event.model_copy(
        update={"change": "updated", "previous_status": event.status, "before": _snapshot(event), **fields}
    )


class _Pupil:
    """One pupil's entries, changed one after the other (a flag, its outcome, a case)."""

    def __init__(self, rng: random.Random, entry: LedgerEntryChanged, g: int) -> None:
        self.rng, self.entry, self.g = rng, entry, g

    def story(self) -> Iterator[LedgerEntryChanged]:
        rng, entry = self.rng, self.entry
        flagged_on = FIRST_DAY + timedelta(days=rng.randrange(14, 300))
        source = _pick(rng, SOURCES)
        common = {
            "county_code": entry.county_code,
            "school_code": entry.school_code,
            "student_id": entry.student_id,
            "groups": entry.groups,
            "poverty_household": entry.poverty_household,
            "grade": entry.grade,
            "relations": (),
        }
        suspect = _event(
            ledger="suspected",
            entry_id=uuid.UUID(int=(1 << 64) + self.g),
            status="pending",
            source=source,
            sources=(source,),
            flagged_on=flagged_on,
            changed_on=flagged_on,
            **common,
        )
        yield suspect
        r = rng.random()
        if r < 0.3:
            return  # still pending at the year's end
        suspect = _next(suspect, status="verifying", changed_on=flagged_on + timedelta(days=2))
        yield suspect
        if r < 0.4:
            return
        day = flagged_on + timedelta(days=rng.randrange(3, 10))
        if r < 0.75:
            yield _next(suspect, status="cleared", reason=rng.choice(CLEAR_REASONS), changed_on=day)
            return
        yield _next(suspect, status="confirmed_dropout", confirmed_on=day, changed_on=day)
        yield from self.case(common, source, flagged_on, day)

    def case(
        self, common: dict[str, Any], source: str, flagged_on: date, confirmed_on: date
    ) -> Iterator[LedgerEntryChanged]:
        rng = self.rng
        pupil = self.entry = _next(self.entry, status="dropout", changed_on=confirmed_on)
        yield pupil
        case = _event(
            ledger="dropouts",
            entry_id=uuid.UUID(int=(2 << 64) + self.g),
            case_id=uuid.UUID(int=(2 << 64) + self.g),
            status="open",
            source=source,
            cause=rng.choice(CAUSES),
            flagged_on=flagged_on,
            confirmed_on=confirmed_on,
            changed_on=confirmed_on,
            assignees=("班主任", "村委会"),
            **common,
        )
        yield case
        if rng.random() < 0.05:
            yield _next(
                case, status="closed", reason="confirmed_in_error", closed_on=confirmed_on, changed_on=confirmed_on
            )
            yield _next(pupil, status="enrolled", changed_on=confirmed_on)
            return
        day = confirmed_on
        if rng.random() < 0.3:
            day += timedelta(days=7)
            case = _next(case, escalation_level="criticism_education", changed_on=day)
            yield case
        if rng.random() >= 0.7:
            return
        day += timedelta(days=rng.randrange(5, 40))
        if day > LAST_DAY:
            return
        case = _next(case, status="returned", returned_on=day, changed_on=day)
        yield case
        yield _next(pupil, status="returned", changed_on=day)
        later = day + timedelta(days=rng.randrange(30, 90))
        if later > LAST_DAY:
            return
        if rng.random() < 0.1:
            yield _next(case, status="open", relapses=1, returned_on=None, changed_on=later)
        elif rng.random() < 0.6:
            yield _next(case, status="closed", reason="consolidated", closed_on=later, changed_on=later)


def school_events(all_counties: list[str], index: int, size: ProvinceSize) -> Iterator[LedgerEntryChanged]:
    """One school's pupils added to the school-age ledger at the year's start, then the flagged ones' stories."""
    rng = random.Random(index)
    school = school_code(all_counties, index)
    county = school[:6]
    stories: list[_Pupil] = []
    for p in range(size.pupils_per_school):
        g = index * size.pupils_per_school + p
        r = rng.random()
        groups: tuple[str, ...] = ()
        if r < 0.055:
            groups = ("left_behind",) if r < 0.03 else ("migrant",) if r < 0.05 else ("disabled", "in_difficulty")
        grade = 1 + p % 9
        status = _pick(rng, STATUSES)
        entry = _event(
            entry_id=uuid.UUID(int=g),
            county_code=county,
            school_code=school,
            student_id=f"G{county}{2011 + (9 - grade):04d}{g % 10**8:08d}",
            status=status,
            groups=groups,
            poverty_household=rng.random() < 0.03,
            grade=grade,
            changed_on=FIRST_DAY + timedelta(days=p % 10),
        )
        yield entry
        if status == "enrolled" and rng.random() < size.flagged_share:
            stories.append(_Pupil(rng, entry, g))
    for pupil in stories:
        yield from pupil.story()


def province_events(size: ProvinceSize, schools: range | None = None) -> Iterator[LedgerEntryChanged]:
    """Every event of the province's schools (all of them, or the indexes given), school by school."""
    all_counties = counties()
    for index in schools if schools is not None else range(size.schools):
        yield from school_events(all_counties, index, size)


def check_sample(events: list[LedgerEntryChanged], seen: set[tuple[str, str, str]]) -> int:
    """Validate the first event of each (ledger, change, status) kind not seen yet; how many were checked."""
    checked = 0
    for event in events:
        kind = (event.ledger, event.change, event.status)
        if kind not in seen:
            seen.add(kind)
            LedgerEntryChanged.model_validate(event.model_dump())
            checked += 1
    return checked
