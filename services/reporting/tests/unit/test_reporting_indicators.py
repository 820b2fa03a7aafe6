"""Indicator formulas: zero denominators, medians, breakdowns, targets and labels."""

from __future__ import annotations

from collections import Counter
from datetime import date
from uuid import uuid4

from baoxue_contracts.events.attendance import AbsenceRecorded, PresenceRecorded
from reporting.adapters.read import candidates, cohort_period, covers, prefix_of
from reporting.casework import verification_counts
from reporting.domain.indicators import FIGURE_LABELS, Extra, figures, label_of, labels_of, median, rate
from reporting.domain.periods import parse_period
from reporting.feeds import _absence
from reporting.handlers import calendar_days


def test_an_empty_region_has_counts_of_zero_and_rates_of_none() -> None:
    out = figures({})
    for key in ("population", "suspected", "suspected_priority", "suspected_poverty", "confirmed", "orders_overdue"):
        assert out[key] == 0
    for key in (
        "enrolment_rate",
        "consolidation_rate",
        "attendance_rate",
        "precision",
        "return_rate",
        "closure_rate",
        "relapse_rate",
        "attendance_first_share",
        "verification_on_time_rate",
        "median_flag_to_return_days",
        "median_return_to_close_days",
        "enrolment_rate_meets_target",
        "consolidation_rate_meets_target",
        "cohort_grade1",
    ):
        assert out[key] is None, key
    assert out["enrolment_rate_target"] == 1.0
    assert out["consolidation_rate_target"] == 0.99


def test_every_fixed_figure_has_a_chinese_label() -> None:
    out = figures({("suspected", "g:left_behind"): 1, ("cleared", "src:field|reason:data_error"): 1})
    labels = labels_of(out)
    assert set(labels) == set(out)
    fixed = [k for k in out if "." not in k]
    assert all(k in FIGURE_LABELS for k in fixed), [k for k in fixed if k not in FIGURE_LABELS]
    assert label_of("suspected.g.left_behind") == "疑似辍学人数（重点人群：留守儿童）"
    assert label_of("cleared.src.field.reason.data_error") == "排除疑似人数（来源：实地排查，原因：数据错误）"
    assert label_of("suspected.poverty") == "疑似辍学人数（脱贫家庭）"


def test_median_of_a_histogram() -> None:
    assert median({}) is None
    assert median({4: 1}) == 4
    assert median({2: 1, 10: 1}) == 6
    assert median({1: 2, 5: 1, 9: 1}) == 3
    assert median({3: 3, 100: 1}) == 3


def test_rates_and_their_breakdowns() -> None:
    counts = {
        ("population", ""): 4,
        ("population", "priority"): 2,
        ("population", "g:left_behind"): 2,
        ("population", "poverty"): 1,
        ("in_school", ""): 3,
        ("in_school", "priority"): 1,
        ("in_school", "g:left_behind"): 1,
        ("in_school", "grade:9"): 3,
        ("flagged", ""): 4,
        ("flagged", "src:attendance"): 3,
        ("flagged", "src:field"): 1,
        ("confirmed", ""): 2,
        ("confirmed", "src:attendance"): 2,
        ("confirmed_attendance_first", ""): 2,
        ("cases_active", ""): 3,
        ("cases_back", ""): 1,
        ("cases_closed", ""): 1,
        ("cases_total", ""): 5,
        ("cases_relapsed", ""): 1,
        ("verified_on_time", ""): 1,
        ("verified_late", ""): 1,
        ("flag_to_return_days", "d:10"): 1,
        ("flag_to_return_days", "d:20"): 1,
        ("escalated", "level:order_to_correct"): 2,
        ("escalated", "level:judicial_document"): 1,
    }
    out = figures(counts, Extra(cohort_grade1=4, caseload={"李老师": 2}, caseload_assignees=1, caseload_max=2))
    assert out["enrolment_rate"] == 0.75
    assert out["enrolment_rate.priority"] == 0.5
    assert out["enrolment_rate.g.left_behind"] == 0.5
    assert out["enrolment_rate.poverty"] == 0.0  # one pupil, not in school
    assert out["enrolment_rate_meets_target"] == 0
    assert out["consolidation_rate"] == 0.75
    assert out["consolidation_rate_meets_target"] == 0
    assert out["precision"] == 0.5
    assert out["precision.src.attendance"] == 2 / 3
    assert out["precision.src.field"] == 0.0
    assert out["attendance_first_share"] == 1.0
    assert out["return_rate"] == 0.5  # (1 back + 1 closed) / (3 active + 1 closed)
    assert out["closure_rate"] == 0.25
    assert out["relapse_rate"] == 0.2
    assert out["verification_on_time_rate"] == 0.5
    assert out["median_flag_to_return_days"] == 15
    assert out["median_return_to_close_days"] is None
    assert out["escalated"] == 3
    assert out["escalated.level.order_to_correct"] == 2
    assert out["caseload.李老师"] == 2
    assert out["population.g.left_behind"] == 2


def test_full_targets_are_met() -> None:
    out = figures({("population", ""): 2, ("in_school", ""): 2, ("in_school", "grade:9"): 99}, Extra(cohort_grade1=100))
    assert out["enrolment_rate_meets_target"] == 1
    assert out["consolidation_rate"] == 0.99
    assert out["consolidation_rate_meets_target"] == 1
    assert rate(1, 0) is None


def test_the_cohort_of_a_period_is_the_school_year_eight_years_before() -> None:
    assert cohort_period(parse_period("school_year", "2024-2025")).label == "2016-2017"
    assert cohort_period(parse_period("quarter", "2025-Q1")).label == "2016-2017"
    assert cohort_period(parse_period("semester", "2024-S1")).label == "2016-2017"
    assert cohort_period(parse_period("month", "2024-09")).label == "2016-2017"


def test_regions_cover_their_counties_and_schools() -> None:
    assert prefix_of("000000") == "" and prefix_of("330000") == "33" and prefix_of("330200") == "3302"
    assert covers("330200", "330203", "3302030001")
    assert not covers("330100", "330203", "3302030001")
    assert covers("3302030001", "330203", "3302030001")
    assert not covers("3302030002", "330203", "3302030001")


def test_a_corrected_absence_moves_its_counts_back() -> None:
    moved: Counter[tuple[str, date, str, str]] = Counter()
    day = date(2025, 3, 3)
    common = {"student_id": "G330203201503070011", "school_code": "3302030001", "date": day, "batch_id": uuid4()}
    _absence(moved, "330203", AbsenceRecorded(**common, status="absent_unexcused"), "5-1")
    _absence(
        moved,
        "330203",
        AbsenceRecorded(**common, status="absent_excused", correction=True, previous_status="absent_unexcused"),
        "5-1",
    )
    month = date(2025, 3, 1)
    assert moved[("330203", month, "absences", "")] == 1
    assert moved[("330203", month, "absences", "status:absent_excused")] == 1
    assert moved[("330203", month, "absences", "status:absent_unexcused")] == 0
    assert moved[("3302030001", month, "absences", "class:5-1")] == 1
    assert moved[("330203", month, "absences", "class:5-1")] == 0  # classes only at their school
    late = PresenceRecorded(**common, status="late", correction=True, previous_status="absent_excused")
    _absence(moved, "330203", late, "5-1")
    assert moved[("000000", month, "absences", "")] == 0
    assert moved[("3302030001", month, "absences", "class:5-1")] == 0


def _row(**values: object) -> dict[str, object]:
    base: dict[str, object] = dict.fromkeys(("assigned_on", "due_on", "completed_on", "overdue_on"))
    return base | {"county_code": "330203", "school_code": "3302030001", "groups": []} | values


def test_a_verification_counts_by_its_state_whatever_order_its_events_came_in() -> None:
    march, april = date(2025, 3, 1), date(2025, 4, 1)
    due, overdue = date(2025, 3, 7), date(2025, 3, 8)
    done_late = _row(assigned_on=date(2025, 3, 3), due_on=due, overdue_on=overdue, completed_on=date(2025, 4, 2))
    counts = verification_counts(done_late)
    assert counts[("330203", march, "verifications_assigned", "")] == 1
    assert counts[("330203", april, "verified_late", "")] == 1
    assert counts[("330203", march, "verifications_overdue", "")] == 1
    assert counts[("330203", march, "verifications_overdue_open", "")] == 1
    assert counts[("330203", april, "verifications_overdue_open", "")] == -1
    # Done on time: a late overdue notice does not make it open.
    on_time = _row(due_on=date(2025, 3, 7), overdue_on=date(2025, 3, 8), completed_on=date(2025, 3, 6))
    assert verification_counts(on_time)[("330203", march, "verified_on_time", "")] == 1
    assert ("330203", march, "verifications_overdue_open", "") not in verification_counts(on_time)
    # Only the outcome known: nothing counted yet.
    assert not verification_counts(_row(completed_on=date(2025, 3, 6)))
    assert not verification_counts(None)


def test_children_are_probed_one_tier_down() -> None:
    assert candidates("000000")[:2] == ["110000", "120000"] and "330000" in candidates("000000")
    assert "330200" in candidates("330000") and all(c.startswith("33") for c in candidates("330000"))
    assert candidates("330200")[2] == "330203" and len(candidates("330200")) == 99


def test_school_days_fall_back_to_calendar_days() -> None:
    assert calendar_days("330203", date(2025, 3, 3), date(2025, 3, 17)) == 14
    assert calendar_days("330203", date(2025, 3, 17), date(2025, 3, 3)) == 0
