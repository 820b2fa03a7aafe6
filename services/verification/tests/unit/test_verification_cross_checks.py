"""The cross-checks' age rule (31 August cut-off, ages 6 to 14 on it) and the registries' checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from baoxue_common.auth import Principal
from baoxue_common.errors import PayloadTooLarge
from baoxue_common.testing import national_id
from verification.domain.cross_checks import (
    compulsory_births,
    cut_off,
    first_kind,
    of_compulsory_age,
    school_year_start,
)
from verification.domain.registries import (
    MAX_CHILDREN,
    MAX_ERRORS,
    HouseholdChild,
    cut,
    household_problems,
    number_problems,
)
from verification.entrypoints.registries import _allowed

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("day", "start"),
    [(date(2026, 9, 1), 2026), (date(2026, 8, 31), 2025), (date(2027, 1, 15), 2026), (date(2026, 12, 31), 2026)],
)
def test_the_school_year_starts_on_1_september(day: date, start: int) -> None:
    assert school_year_start(day) == start
    assert cut_off(day) == date(start, 8, 31)


@pytest.mark.parametrize(
    ("born", "day", "compulsory", "why"),
    [
        (date(2020, 8, 31), date(2026, 11, 30), True, "6 on the cut-off: grade 1 age"),
        (date(2020, 9, 1), date(2026, 11, 30), False, "5 on the cut-off, 6 the next day: next year's grade 1"),
        (date(2011, 9, 1), date(2026, 11, 30), True, "14 on the cut-off: grade 9 age, 15 during the year"),
        (date(2011, 8, 31), date(2026, 11, 30), False, "15 on the cut-off: past compulsory school"),
        (date(2020, 8, 31), date(2026, 8, 31), False, "the day before the year starts: still last year's cut-off"),
        (date(2019, 8, 31), date(2026, 8, 31), True, "6 on last year's cut-off"),
        (date(2016, 2, 29), date(2027, 3, 1), True, "leap-day birthday, mid-year"),
    ],
)
def test_compulsory_age_is_taken_on_31_august_of_the_school_years_start(
    born: date, day: date, compulsory: bool, why: str
) -> None:
    assert of_compulsory_age(born, day) is compulsory, why
    window = compulsory_births(day)
    assert (window.earliest <= born <= window.latest) is compulsory, why


@pytest.mark.parametrize("day", [date(2026, 9, 1), date(2027, 2, 28), date(2027, 8, 31), date(2028, 2, 29)])
def test_the_birth_window_is_exactly_the_age_rule(day: date) -> None:
    window = compulsory_births(day)
    for edge in (window.earliest, window.latest):
        for born in (edge - timedelta(days=1), edge, edge + timedelta(days=1)):
            assert of_compulsory_age(born, day) is (window.earliest <= born <= window.latest), born


def test_a_child_found_several_ways_is_flagged_under_the_first_kind() -> None:
    assert first_kind(["poverty_dropout", "out_of_school"]) == "out_of_school"
    assert first_kind(["poverty_dropout"]) == "poverty_dropout"


BORN = date(2016, 3, 1)
CHILD = HouseholdChild(national_id("150123", BORN, 1), "王小明", "M", BORN, "150123", "150123")


def test_a_good_household_register_has_no_problems() -> None:
    other = replace(CHILD, national_id=national_id("150123", BORN, 2).lower(), residence_county_code="110101")
    assert household_problems([CHILD, other], TODAY) == []


def test_every_wrong_household_record_is_named_with_its_index_and_field() -> None:
    bad_check = CHILD.national_id[:-1] + ("1" if CHILD.national_id[-1] != "1" else "2")
    children = [
        CHILD,
        replace(CHILD, national_id=bad_check),
        replace(CHILD, birth_date=BORN + timedelta(days=1)),  # does not match the ID number
        replace(CHILD, national_id=CHILD.national_id.lower()),  # the same number again (case aside)
        replace(CHILD, national_id=national_id("150123", BORN, 3), hukou_county_code="150100"),
        replace(CHILD, national_id=national_id("150123", BORN, 4), residence_county_code="12345"),
        replace(CHILD, national_id="１２３"),
        replace(
            CHILD, national_id=national_id("150123", TODAY + timedelta(days=1), 5), birth_date=TODAY + timedelta(days=1)
        ),
    ]
    locs = [loc for loc, _ in household_problems(children, TODAY)]
    assert locs == [
        ("body", "children", 1, "national_id"),
        ("body", "children", 2, "national_id"),
        ("body", "children", 3, "national_id"),
        ("body", "children", 4, "hukou_county_code"),
        ("body", "children", 5, "residence_county_code"),
        ("body", "children", 6, "national_id"),
        ("body", "children", 7, "birth_date"),
    ]
    msgs = dict(household_problems(children, TODAY))
    assert "already listed" in msgs[("body", "children", 3, "national_id")]
    assert "not a county" in msgs[("body", "children", 4, "hukou_county_code")]


def test_lists_of_numbers_name_the_index_and_the_repeats() -> None:
    good, other = national_id("150123", BORN, 1), national_id("150123", BORN, 2)
    found = number_problems([good, "123", other, good], ("body", "children"), ("national_id",))
    assert [loc for loc, _ in found] == [("body", "children", 1, "national_id"), ("body", "children", 3, "national_id")]
    assert number_problems([good, other], ("body", "national_ids")) == []


def test_a_422_lists_at_most_max_errors_and_says_how_many_more() -> None:
    problems = [(("body", "national_ids", i), "bad") for i in range(MAX_ERRORS + 5)]
    shown, more = cut(problems)
    assert (len(shown), more) == (MAX_ERRORS, 5)
    assert shown[0] == {"loc": ["body", "national_ids", 0], "msg": "bad"}


def test_a_registry_above_the_limit_is_refused_before_any_check() -> None:
    admin = Principal("admin", "jti", datetime(2030, 1, 1, tzinfo=UTC))
    _allowed(admin, "150123", MAX_CHILDREN)
    with pytest.raises(PayloadTooLarge):
        _allowed(admin, "150123", MAX_CHILDREN + 1)
