"""Verification reviews long excused absences: one ReviewRaised per run of excused school days at the threshold.

The run is found as in domain.reviews, so days may arrive in any order; a review spans its run and a run that
grows either way, or a redelivered day, raises no second one.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time

from baoxue_common.calendar import SchoolDays
from baoxue_common.rules import Rules
from baoxue_common.uow import UnitOfWork
from baoxue_contracts.events.verification import ReviewRaised

from verification.adapters import repository as repo
from verification.adapters import reviews_repository as reviews_repo
from verification.domain.reviews import excused_run_containing, needs_review


async def review_excused_run(
    uow: UnitOfWork,
    student_id: str,
    school_code: str,
    county: str,
    day: date,
    days: SchoolDays,
    rules: Rules,
    excused: Collection[date],
) -> None:
    """Raise a review if the excused run containing `day` reached the county's threshold and has none yet."""
    run = excused_run_containing(day, excused, days)
    threshold = rules.review_after_consecutive_excused
    if not needs_review(run, threshold):
        return
    span = (run[0], run[-1])
    review_id = await reviews_repo.add_review(uow.session, student_id, span)
    if review_id is None:
        return
    standing = await repo.pupil_standing(uow.session, student_id)
    review = ReviewRaised(
        review_id=review_id,
        student_id=student_id,
        school_code=school_code,
        county_code=county,
        raised_on=run[-1],
        run_start=run[0],
        consecutive_excused_days=len(run),
        threshold=threshold,
        reasons=await reviews_repo.excused_reasons(uow.session, student_id, span),
        groups=standing.groups,
        poverty_household=standing.poverty_household,
    )
    at = datetime.combine(run[-1], time(12, 0), tzinfo=UTC)
    uow.emit(review, occurred_at=at, region=county, school_code=school_code, subject_id=student_id)
