"""四查三比对 (four checks, three comparisons): a county's run of the three comparisons, and its findings.

A run compares, in the database and across every county's pupils: the county's household register with the
rolls (`out_of_school`), its rolls with attendance (`not_attending`) and its poverty households with the rolls
(`poverty_dropout`); the age rule is in `verification.domain.cross_checks`. Every child found becomes a suspect
(source cross_check) through `suspects.flag`, once per run however many ways it was found, and not again while
a suspicion an earlier run opened is still open.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import Any

from baoxue_common.calendar_store import school_days
from baoxue_common.clock import Clock
from baoxue_common.errors import NotFound
from baoxue_common.uow import UnitOfWork

from verification.adapters import cross_check_repository as store
from verification.adapters.orm import calendars
from verification.adapters.rules_repository import rules_of
from verification.domain.cross_checks import KINDS, compulsory_births, first_kind
from verification.suspects import Flag, flag_many


@dataclass(frozen=True, slots=True)
class Run:
    """A run's id, day, counts per kind and how many suspects it opened."""

    run_id: uuid.UUID
    county_code: str
    run_on: date
    counts: dict[str, int]
    suspects_opened: int


def _child_key(row: Any) -> str:
    return f"s:{row.student_id}" if row.student_id else f"h:{row.national_id_hash}"


async def _flag_children(uow: UnitOfWork, run_id: uuid.UUID, county: str, run_on: date, clock: Clock) -> int:
    """Flag every child the run found, once; attach the findings to the suspicions; how many were opened."""
    rows = await store.findings_of(uow.session, run_id)
    children = [list(found) for _, found in groupby(rows, key=_child_key)]
    hashes = [c[0].national_id_hash for c in children if not c[0].student_id and c[0].national_id_hash]
    # A child known by ID hash alone keeps the cross-check suspicion an earlier run opened (no pupil index holds it).
    held = await store.open_suspicions_by_hash(uow.session, run_id, hashes)
    occurred_at = clock.now()
    to_flag = [at for at, c in enumerate(children) if c[0].student_id or held.get(c[0].national_id_hash) is None]
    flags = [(_flag_of(children[at], run_id, county, run_on), occurred_at) for at in to_flag]
    flagged = await flag_many(uow, flags)
    suspect_of = {at: f.suspicion_id for at, f in zip(to_flag, flagged, strict=True)}
    finding_ids, suspicion_ids = [], []
    for at, found in enumerate(children):
        suspicion = suspect_of[at] if at in suspect_of else held[found[0].national_id_hash]
        finding_ids += [f.finding_id for f in found]
        suspicion_ids += [suspicion] * len(found)
    await store.set_suspicions(uow.session, finding_ids, suspicion_ids)
    return sum(f.created for f in flagged)


def _flag_of(found: list[Any], run_id: uuid.UUID, county: str, run_on: date) -> Flag:
    """The flag of one child from every finding of the run about it."""
    first = found[0]
    return Flag(
        source="cross_check",
        county_code=county,
        flagged_on=run_on,
        reason=first_kind([f.kind for f in found]),
        school_code=first.school_code,
        student_id=first.student_id,
        groups=tuple(sorted({g for f in found for g in f.groups})),
        poverty_household=any(f.poverty_household for f in found),
        national_id_hash=first.national_id_hash,
        name=next((f.name for f in found if f.name), None),
        birth_date=next((f.birth_date for f in found if f.birth_date), None),
        source_ref=str(run_id),
    )


async def run_cross_checks(uow: UnitOfWork, county: str, clock: Clock) -> Run:
    """Run the three comparisons for a county on today's date, store the findings and flag the children."""
    run_id, run_on = uuid.uuid4(), clock.today()
    born = compulsory_births(run_on)
    async with uow:
        await store.lock_runs(uow.session)
        rules = await rules_of(uow.session, county)
        days = await school_days(uow.session, calendars, county)
        # No presence on any of the last N school days: last seen before the N-th school day before today.
        since = days.before(run_on, rules.not_attending_after_school_days)
        counts = {
            "out_of_school": await store.find_out_of_school(uow.session, run_id, county, born),
            # Without a calendar reaching back N school days nobody can be said to have missed them.
            "not_attending": await store.find_not_attending(uow.session, run_id, county, since) if since else 0,
            "poverty_dropout": await store.find_poverty_dropouts(uow.session, run_id, county, born),
        }
        await store.add_run(uow.session, run_id, county, run_on, counts)
        opened = await _flag_children(uow, run_id, county, run_on, clock)
        await uow.commit()
    return Run(run_id, county, run_on, counts, opened)


@dataclass(frozen=True, slots=True)
class Page:
    """A run and a page of its findings."""

    run: Any
    findings: Sequence[Any]


async def findings_page(
    uow: UnitOfWork, county: str, run_id: uuid.UUID, kind: str | None, limit: int, offset: int
) -> Page:
    """A page of a run's findings; 404 if the county has no such run."""
    async with uow:
        run = await store.run_of(uow.session, run_id)
        if run is None or run.county_code != county:
            raise NotFound(f"no cross-check run {run_id} in county {county}")
        rows = await store.page_of(uow.session, run_id, kind, limit, offset)
    return Page(run, rows)


__all__ = ["KINDS", "Page", "Run", "findings_page", "run_cross_checks"]
