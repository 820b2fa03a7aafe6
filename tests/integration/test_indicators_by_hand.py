"""Every indicator of every tier against values worked out by hand, for the story in indicators_story.py.

The events go through reporting's registered handlers (EVENT_HANDLERS) on a database of their own, one
transaction per poll; figures are read with adapters/read.py for each tier's period on 2025-03-31.
How each value is reached is written beside it; none is computed by the code under test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from itertools import groupby
from typing import Any
from uuid import uuid4

import pytest
import sqlalchemy as sa
from baoxue_common.db import make_engine, make_sessionmaker
from baoxue_common.devstack import ensure_database
from baoxue_common.dispatch import Batched
from baoxue_common.migrations import migrate_async
from baoxue_common.services import service
from baoxue_common.uow import UnitOfWorkFactory
from baoxue_contracts.events.attendance import AbsenceRecorded, StudentEnrolled
from reporting import feeds
from reporting.adapters import orm
from reporting.adapters.read import region_figures, region_label, sub_region_figures
from reporting.domain.periods import parse_period
from reporting.handlers import EVENT_HANDLERS
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.integration.indicators_story import PUPIL, SA1, SA2, SB1, A, B, envelope, pupil, story

pytestmark = pytest.mark.integration
TODAY = date(2025, 3, 31)

# An empty region: counts 0, rates and medians None (zero denominators), the targets.
BASE: dict[str, Any] = {
    **dict.fromkeys(
        [
            "population",
            "in_school",
            "out_of_school",
            "suspected",
            "flagged",
            "confirmed",
            "cleared",
            "cases_opened",
            "returned",
            "closed",
            "reopened",
            "cases_total",
            "cases_active",
            "cases_open",
            "cases_back",
            "cases_closed",
            "cases_cancelled",
            "early_warnings",
            "absences",
            "verifications_assigned",
            "verified_on_time",
            "verified_late",
            "verifications_overdue",
            "verifications_overdue_open",
            "escalated",
            "suspected_priority",
            "suspected_poverty",
            "verifying",
            "absences_unexcused",
            "absences_excused",
            "confirmed_attendance_first",
            "closure_proposed",
            "cases_relapsed",
            "grade9_in_school",
            "attendance_expected",
            "attendance_present",
            "days_submitted",
            "schools",
            "schools_not_submitting",
            "orders_overdue",
            "caseload_assignees",
            "caseload_max",
        ],
        0,
    ),
    **dict.fromkeys(
        [
            "enrolment_rate",
            "enrolment_rate_meets_target",
            "cohort_grade1",
            "consolidation_rate",
            "consolidation_rate_meets_target",
            "attendance_rate",
            "precision",
            "attendance_first_share",
            "return_rate",
            "closure_rate",
            "relapse_rate",
            "median_flag_to_return_days",
            "median_return_to_close_days",
            "verification_on_time_rate",
        ],
        None,
    ),
    "enrolment_rate_target": 1.0,
    "consolidation_rate_target": 0.99,
}

SA1_FIGURES = BASE | {
    "population": 4,  # P1-P4
    "in_school": 3,  # P1, P2 enrolled; P4 returned
    "out_of_school": 1,  # P3 dropout
    "enrolment_rate": 0.75,
    "enrolment_rate_meets_target": 0,
    "grade9_in_school": 3,
    "cohort_grade1": None,  # the cohort entered grade 1 at SA2: consolidation unknown here
    "flagged": 2,
    "confirmed": 2,
    "confirmed_attendance_first": 2,  # S1, S2 (attendance)
    "precision": 1.0,
    "attendance_first_share": 1.0,
    "cases_opened": 2,
    "returned": 1,
    "closed": 1,  # C1, C2; C1 back 17th, closed 28th
    "cases_total": 2,
    "cases_active": 1,
    "cases_open": 1,
    "cases_closed": 1,
    "return_rate": 0.5,
    "closure_rate": 0.5,
    "relapse_rate": 0.0,  # (0 back + 1 closed) / (1 active + 1 closed)
    "median_flag_to_return_days": 9.0,  # C1 3→17 March: 4,5,6,10,11,12,13,14,17 (the 7th is off)
    "median_return_to_close_days": 9.0,  # C1 17→28 March: 18-21, 24-28
    "escalated": 2,  # C1, C2 ordered to correct
    "early_warnings": 2,
    "absences": 7,
    "absences_unexcused": 7,  # P4 3 + P3 4 (the 6th corrected to unexcused); P1's corrected away
    "attendance_expected": 80,
    "attendance_present": 60,
    "attendance_rate": 0.75,  # 20 days x 4, 3 present
    "days_submitted": 20,
    "schools": 1,
    "verifications_assigned": 2,
    "verified_on_time": 1,
    "verified_late": 1,  # V1 6th ≤ 7th; V2 12th > 7th
    "verifications_overdue": 1,
    "verification_on_time_rate": 0.5,  # V2, done since
    "orders_overdue": 1,  # C2's order (deadline 21st) never answered; C1's answered by the return
    "caseload_assignees": 2,
    "caseload_max": 1,  # C2: 王老师, 李主任 (C1 closed)
}
SA1_BROKEN_DOWN = {
    "school_age_status.status.enrolled": 2,
    "school_age_status.status.dropout": 1,
    "school_age_status.status.returned": 1,
    "in_school.grade.9": 3,
    "suspected_status.status.confirmed_dropout": 2,
    "flagged.src.attendance": 2,
    "confirmed.src.attendance": 2,
    "precision.src.attendance": 1.0,
    "cases_total.cause.work": 1,
    "cases_total.cause.family_poverty": 1,
    "cases_open.level.order_to_correct": 1,
    "closed.reason.consolidated": 1,
    "escalated.level.order_to_correct": 2,
    "absences.status.absent_unexcused": 7,
    "absences.class.9-1": 7,
    "caseload.王老师": 1,
    "caseload.李主任": 1,
}

SA2_FIGURES = BASE | {
    "population": 1,
    "in_school": 1,
    "enrolment_rate": 1.0,
    "enrolment_rate_meets_target": 1,  # P5
    "cohort_grade1": 4,
    "consolidation_rate": 0.0,
    "consolidation_rate_meets_target": 0,  # P1-P4 left for SA1
    "suspected": 1,
    "suspected_priority": 1,
    "suspected_poverty": 1,
    "verifying": 1,  # S4
    "flagged": 1,
    "precision": 0.0,
    "early_warnings": 1,
    "absences": 2,
    "absences_unexcused": 1,
    "absences_excused": 1,
    "attendance_expected": 19,
    "attendance_present": 18,
    "attendance_rate": 18 / 19,  # 19 days, absent on the 18th
    "days_submitted": 19,
    "schools": 1,
    "schools_not_submitting": 1,  # the 31st is missing
    "verifications_assigned": 1,
    "verifications_overdue": 1,
    "verifications_overdue_open": 1,  # V4
}
PRIORITY_P5 = {"g.left_behind": 1, "priority": 1}
SA2_BROKEN_DOWN = {
    **{f"population.{k}": 1 for k in ("g.left_behind", "priority", "poverty")},
    **{f"in_school.{k}": 1 for k in ("g.left_behind", "priority", "poverty", "grade.5")},
    **{f"enrolment_rate.{k}": 1.0 for k in ("g.left_behind", "priority", "poverty")},
    **{f"suspected.{k}": 1 for k in ("g.left_behind", "priority", "poverty", "src.attendance")},
    **{f"flagged.{k}": 1 for k in ("g.left_behind", "priority", "poverty", "src.attendance")},
    **{f"precision.{k}": 0.0 for k in ("g.left_behind", "priority", "poverty", "src.attendance")},
    "school_age_status.status.enrolled": 1,
    "suspected_status.status.verifying": 1,
    **{f"early_warnings.{k}": v for k, v in PRIORITY_P5.items()},
    **{f"verifications_assigned.{k}": v for k, v in PRIORITY_P5.items()},
    **{f"verifications_overdue.{k}": v for k, v in PRIORITY_P5.items()},
    **{f"verifications_overdue_open.{k}": v for k, v in PRIORITY_P5.items()},
    "absences.status.absent_unexcused": 1,
    "absences.status.absent_excused": 1,
    "absences.class.5-1": 2,
}

SB1_FIGURES = BASE | {
    "population": 2,
    "in_school": 1,
    "out_of_school": 1,  # Q1 (dropout again), Q2; Q4 removed
    "enrolment_rate": 0.5,
    "enrolment_rate_meets_target": 0,
    "grade9_in_school": 1,
    "cohort_grade1": 2,
    "consolidation_rate": 0.5,
    "consolidation_rate_meets_target": 0,
    "flagged": 2,
    "confirmed": 1,
    "cleared": 1,
    "precision": 0.5,
    "attendance_first_share": 0.0,  # S3, S5
    "cases_opened": 1,
    "returned": 1,
    "reopened": 1,  # C3 back 20th, left again 27th
    "cases_total": 1,
    "cases_active": 1,
    "cases_open": 1,
    "cases_relapsed": 1,
    "return_rate": 0.0,
    "closure_rate": 0.0,
    "relapse_rate": 1.0,
    "median_flag_to_return_days": 12.0,  # 3→20 March: 4,5,6,10-14,17-20
    "escalated": 1,
    "early_warnings": 1,
    "absences": 2,
    "absences_unexcused": 1,
    "absences_excused": 1,
    "attendance_expected": 60,
    "attendance_present": 59,
    "attendance_rate": 59 / 60,  # the 10th corrected
    "days_submitted": 20,
    "schools": 1,
    "verifications_assigned": 2,
    "verified_on_time": 2,
    "verification_on_time_rate": 1.0,  # V3, V5
    "caseload_assignees": 1,
    "caseload_max": 1,
}
MIGRANT = ("g.migrant", "priority")
SB1_BROKEN_DOWN = {
    **{
        f"{m}.{k}": 1
        for m in (
            "population",
            "out_of_school",
            "flagged",
            "confirmed",
            "cases_opened",
            "returned",
            "reopened",
            "cases_total",
            "cases_active",
            "cases_open",
            "early_warnings",
            "verifications_assigned",
            "verified_on_time",
        )
        for k in MIGRANT
    },
    **{f"{m}.{k}": 0.0 for m in ("enrolment_rate", "return_rate", "closure_rate") for k in MIGRANT},
    **{f"precision.{k}": 1.0 for k in MIGRANT},
    "in_school.grade.9": 1,
    "school_age_status.status.enrolled": 1,
    "school_age_status.status.dropout": 1,
    "suspected_status.status.confirmed_dropout": 1,
    "suspected_status.status.cleared": 1,
    "flagged.src.national_platform": 1,
    "flagged.src.attendance": 1,
    "flagged.src.field": 1,
    "confirmed.src.national_platform": 1,
    "confirmed.src.attendance": 1,
    "precision.src.national_platform": 1.0,
    "precision.src.attendance": 1.0,
    "precision.src.field": 0.0,
    "cleared.reason.data_error": 1,
    "cleared.src.field": 1,
    "cleared.src.field.reason.data_error": 1,
    "cases_total.cause.learning_difficulty": 1,
    "cases_open.level.criticism_education": 1,
    "escalated.level.criticism_education": 1,
    "absences.status.absent_unexcused": 1,
    "absences.status.absent_excused": 1,
    "absences.class.9-2": 1,
    "absences.class.9-3": 1,  # Q2 moved to 9-3 before her absence
    "caseload.赵老师": 1,
}

COUNTY_A = SA1_FIGURES | {
    "population": 5,
    "in_school": 4,
    "enrolment_rate": 0.8,
    "cohort_grade1": 4,
    "consolidation_rate": 0.75,
    "consolidation_rate_meets_target": 0,
    "suspected": 1,
    "suspected_priority": 1,
    "suspected_poverty": 1,
    "verifying": 1,
    "flagged": 3,
    "precision": 2 / 3,
    "early_warnings": 3,
    "absences": 9,
    "absences_unexcused": 8,
    "absences_excused": 1,
    "attendance_expected": 99,
    "attendance_present": 78,
    "attendance_rate": 78 / 99,
    "days_submitted": 39,
    "schools": 2,
    "schools_not_submitting": 1,
    "verifications_assigned": 3,
    "verifications_overdue": 2,
    "verifications_overdue_open": 1,
}
COUNTY_A_BROKEN_DOWN = {k: v for k, v in (SA1_BROKEN_DOWN | SA2_BROKEN_DOWN).items() if ".class." not in k} | {
    "school_age_status.status.enrolled": 3,
    "suspected_status.status.confirmed_dropout": 2,
    "flagged.src.attendance": 3,
    "precision.src.attendance": 2 / 3,
    "absences.status.absent_unexcused": 8,
}

COUNTY_B = SB1_FIGURES | {
    "population": 3,
    "out_of_school": 2,
    "enrolment_rate": 1 / 3,  # + Q3, out of school, no school
    "suspected": 1,  # S6, no school
    "flagged": 3,
    "precision": 1 / 3,
    "verifications_assigned": 3,  # + V6 (county, not yet due)
}
COUNTY_B_BROKEN_DOWN = {k: v for k, v in SB1_BROKEN_DOWN.items() if ".class." not in k} | {
    "school_age_status.status.out_of_school": 1,
    "suspected.src.cross_check": 1,
    "suspected_status.status.pending": 1,
    "flagged.src.cross_check": 1,
    "precision.src.cross_check": 0.0,
}

CITY = BASE | {
    "population": 8,
    "in_school": 5,
    "out_of_school": 3,
    "enrolment_rate": 5 / 8,
    "enrolment_rate_meets_target": 0,
    "grade9_in_school": 4,
    "cohort_grade1": 6,
    "consolidation_rate": 4 / 6,
    "consolidation_rate_meets_target": 0,
    "suspected": 2,
    "suspected_priority": 1,
    "suspected_poverty": 1,
    "verifying": 1,
    "flagged": 6,
    "confirmed": 3,
    "cleared": 1,
    "confirmed_attendance_first": 2,
    "precision": 0.5,
    "attendance_first_share": 2 / 3,
    "cases_opened": 3,
    "returned": 2,
    "closed": 1,
    "reopened": 1,
    "cases_total": 3,
    "cases_active": 2,
    "cases_open": 2,
    "cases_closed": 1,
    "cases_relapsed": 1,
    "return_rate": 1 / 3,
    "closure_rate": 1 / 3,
    "relapse_rate": 1 / 3,
    "median_flag_to_return_days": 10.5,
    "median_return_to_close_days": 9.0,  # 9 and 12
    "escalated": 3,
    "early_warnings": 4,
    "absences": 11,
    "absences_unexcused": 9,
    "absences_excused": 2,
    "attendance_expected": 159,
    "attendance_present": 137,
    "attendance_rate": 137 / 159,
    "days_submitted": 59,
    "schools": 3,
    "schools_not_submitting": 1,
    "verifications_assigned": 6,
    "verified_on_time": 3,
    "verified_late": 1,
    "verifications_overdue": 2,
    "verifications_overdue_open": 1,
    "verification_on_time_rate": 0.75,
    "orders_overdue": 1,
    "caseload_assignees": 3,
    "caseload_max": 1,  # no names above the county
}
CITY_BROKEN_DOWN = {k: v for k, v in (COUNTY_A_BROKEN_DOWN | COUNTY_B_BROKEN_DOWN).items() if "caseload." not in k} | {
    "school_age_status.status.enrolled": 4,
    "school_age_status.status.dropout": 2,
    "in_school.grade.9": 4,
    "population.priority": 2,
    "enrolment_rate.priority": 0.5,
    "suspected_status.status.confirmed_dropout": 3,
    "flagged.src.attendance": 4,
    "flagged.priority": 2,
    "precision.src.attendance": 0.75,
    "precision.priority": 0.5,
    "confirmed.src.attendance": 3,
    "early_warnings.priority": 2,
    "verifications_assigned.priority": 2,
    "absences.status.absent_unexcused": 9,
    "absences.status.absent_excused": 2,
    "escalated.level.order_to_correct": 2,
}


def pupil_record(i: int) -> StudentEnrolled:
    """One of many pupils of SA2's class `big`."""
    return pupil("P5", SA2, 5, "big").model_copy(update={"student_id": f"L9{i:08d}"})


def absence_of(student_id: str) -> AbsenceRecorded:
    """An unexcused absence on 1 April 2025."""
    return AbsenceRecorded(
        student_id=student_id, school_code=SA2, date=date(2025, 4, 1), status="absent_unexcused", batch_id=uuid4()
    )


def check(actual: dict[str, Any], fixed: dict[str, Any], broken_down: dict[str, Any]) -> None:
    """Every fixed figure and every breakdown, exactly (rates to 1e-12)."""
    assert {k for k in actual if "." not in k} == set(fixed)
    assert {k for k in actual if "." in k} == set(broken_down), set(actual) ^ (set(fixed) | set(broken_down))
    for key, want in (fixed | broken_down).items():
        got = actual[key]
        if isinstance(want, float) and got is not None:
            assert got == pytest.approx(want, abs=1e-12), key
        else:
            assert got == want and type(got) is type(want), (key, got, want)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A database of this test's own, reporting migrated to head, the story applied."""
    url = await ensure_database(database_url, "baoxue_indicators_by_hand", fresh=True)
    await migrate_async(service("reporting"), url)
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    factory = UnitOfWorkFactory(maker, orm.common, "reporting")
    for poll in story():
        async with factory() as uow:
            for _, run in groupby(poll, type):
                items = [(event, envelope(event)) for event in run]
                for stage in EVENT_HANDLERS[type(items[0][0])]:
                    assert isinstance(stage, Batched)
                    await stage.handler(items, uow)
            await uow.commit()
    yield maker
    await engine.dispose()


async def test_every_indicator_of_every_tier_matches_the_hand_computed_values(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    month, quarter = parse_period("month", "2025-03"), parse_period("quarter", "2025-Q1")
    semester, year = parse_period("semester", "2024-S2"), parse_period("school_year", "2024-2025")
    bimonth = parse_period("bimonth", "2025-B2")
    async with sessions() as session:
        check(await region_figures(session, SA1, month, TODAY), SA1_FIGURES, SA1_BROKEN_DOWN)
        check(await region_figures(session, SA2, month, TODAY), SA2_FIGURES, SA2_BROKEN_DOWN)
        check(await region_figures(session, SB1, month, TODAY), SB1_FIGURES, SB1_BROKEN_DOWN)
        check(await region_figures(session, A, quarter, TODAY), COUNTY_A, COUNTY_A_BROKEN_DOWN)
        check(await region_figures(session, B, quarter, TODAY), COUNTY_B, COUNTY_B_BROKEN_DOWN)
        check(await region_figures(session, "330200", semester, TODAY), CITY, CITY_BROKEN_DOWN)
        # The school year also holds the autumn term, when no school submitted attendance.
        province = CITY | {"schools_not_submitting": 3}
        check(await region_figures(session, "330000", year, TODAY), province, CITY_BROKEN_DOWN)
        check(await region_figures(session, "000000", bimonth, TODAY), CITY, CITY_BROKEN_DOWN)


async def test_sub_regions_and_labels(sessions: async_sessionmaker[AsyncSession]) -> None:
    month, semester = parse_period("month", "2025-03"), parse_period("semester", "2024-S2")
    async with sessions() as session:
        schools = await sub_region_figures(session, A, month, TODAY)
        assert list(schools) == [SA1, SA2]
        check(schools[SA2], SA2_FIGURES, SA2_BROKEN_DOWN)
        counties = await sub_region_figures(session, "330200", semester, TODAY)
        ningbo = ["330203", "330205", "330206", "330211", "330212", "330213", "330225", "330226", "330281", "330282"]
        assert list(counties) == ningbo  # every county in use, with figures or not
        check(counties[B], COUNTY_B, COUNTY_B_BROKEN_DOWN)
        check(counties["330206"], BASE, {})  # 北仑区: nothing happened, every rate None
        cities = await sub_region_figures(session, "330000", semester, TODAY)
        assert list(cities)[:2] == ["330100", "330200"] and len(cities) == 11
        check(cities["330200"], CITY, CITY_BROKEN_DOWN)
        provinces = await sub_region_figures(session, "000000", semester, TODAY)
        assert len(provinces) == 34 and provinces["330000"]["population"] == 8
        assert await sub_region_figures(session, SA1, month, TODAY) == {}
        assert await region_label(session, SA1) == "海曙第一中学"
        assert await region_label(session, A) == "海曙区"
        assert await region_label(session, "330200") == "宁波市"
        assert await region_label(session, "000000") == "全国"
        assert await region_label(session, "3302059999") == "3302059999"
        # Classes follow the roll: Q2 moved to 9-3, Q4 left it.
        rows = await session.execute(sa.select(orm.pupils.c.student_id, orm.pupils.c.class_name))
        classes = {sid: cls for sid, cls in rows}
        assert PUPIL["Q4"] not in classes and classes[PUPIL["Q2"]] == "9-3" and len(classes) == 7
        # A period with nothing in it: counts 0 and every rate None (but the cohort's entry is known).
        empty = await region_figures(session, A, parse_period("month", "2025-06"), date(2025, 6, 30))
        assert empty["flagged"] == 0 and empty["precision"] is None and empty["attendance_rate"] is None
        assert empty["verification_on_time_rate"] is None and empty["median_flag_to_return_days"] is None


async def test_a_poll_larger_than_the_drivers_parameter_limit(sessions: async_sessionmaker[AsyncSession]) -> None:
    # 12,000 pupils x 3 columns would be 36,000 parameters in one INSERT: the upsert is split.
    roll = [pupil_record(i) for i in range(12_000)]
    factory = UnitOfWorkFactory(sessions, orm.common, "reporting")
    async with factory() as uow:
        await feeds.pupils_on_roll([(e, envelope(e)) for e in roll], uow)
        absent = [absence_of(e.student_id) for e in roll]
        await feeds.attendance_marks([(e, envelope(e)) for e in absent], uow)
        await uow.commit()
    async with sessions() as session:
        school = await region_figures(session, SA2, parse_period("month", "2025-04"), date(2025, 4, 30))
    assert school["absences"] == 12_000
    assert school["absences.class.big"] == 12_000
