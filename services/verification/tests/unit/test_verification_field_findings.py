"""Field findings: what is refused, who counts as the same finding, and the ids a repeat gets back."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from baoxue_common.testing import national_id
from verification.domain.field_findings import (
    REASONS,
    Finding,
    age_on,
    dedup_key,
    finding_id_of,
    finding_problems,
    suspicion_id_of,
)

TODAY = date(2026, 11, 30)
BORN = date(2016, 3, 1)
NUMBER = national_id("150121", BORN, 7)
FOUND = Finding("150121", None, "王小明", BORN, "no_hukou", "某村3组", date(2026, 11, 20), "村干部李某")


def fields(finding: Finding) -> list[str]:
    return [name for name, _ in finding_problems(finding, TODAY)]


def test_a_school_age_child_found_before_today_is_accepted_with_or_without_an_id_number() -> None:
    assert finding_problems(FOUND, TODAY) == []
    assert finding_problems(replace(FOUND, national_id=NUMBER), TODAY) == []
    assert finding_problems(replace(FOUND, national_id=NUMBER.replace("X", "x")), TODAY) == []
    assert finding_problems(replace(FOUND, found_on=TODAY), TODAY) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"found_on": date(2026, 12, 1)}, "found_on"),
        ({"birth_date": date(2027, 1, 1)}, "birth_date"),
        ({"birth_date": date(2022, 1, 1)}, "birth_date"),  # 4 years old
        ({"birth_date": date(2007, 11, 19)}, "birth_date"),  # turned 19 the day before
        ({"national_id": "12345"}, "national_id"),
        ({"national_id": NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1")}, "national_id"),  # check digit
        ({"national_id": national_id("150121", date(2016, 3, 2), 7)}, "national_id"),  # another birth date
        ({"national_id": "１５０１２１２０１６０３０１００７Ｘ"}, "national_id"),  # full-width digits
        ({"national_id": "\x00" * 18}, "national_id"),
    ],
)
def test_a_wrong_finding_names_its_field(changes: dict[str, object], field: str) -> None:
    assert fields(replace(FOUND, **changes)) == [field]  # type: ignore[arg-type]


def test_school_age_is_counted_in_whole_years_on_the_day_found() -> None:
    assert age_on(date(2016, 3, 1), date(2021, 2, 28)) == 4
    assert age_on(date(2016, 3, 1), date(2021, 3, 1)) == 5
    assert fields(replace(FOUND, birth_date=date(2021, 11, 20))) == []  # 5 on the day
    assert fields(replace(FOUND, birth_date=date(2007, 11, 20))) == ["birth_date"]  # 19 on the day found
    assert fields(replace(FOUND, birth_date=date(2007, 11, 20), found_on=date(2026, 11, 19))) == []  # still 18


def test_the_same_child_finding_and_day_is_one_finding() -> None:
    key = dedup_key(FOUND, None)
    assert dedup_key(replace(FOUND, name=" 王小明 ", address="elsewhere", found_by="another"), None) == key
    others = [
        replace(FOUND, finding="not_attending"),
        replace(FOUND, found_on=date(2026, 11, 21)),
        replace(FOUND, county_code="150122"),
        replace(FOUND, name="王小红"),
        replace(FOUND, birth_date=date(2016, 3, 2)),
    ]
    assert len({key, *(dedup_key(f, None) for f in others)}) == 1 + len(others)
    by_number = dedup_key(replace(FOUND, national_id=NUMBER), "ab" * 32)
    assert by_number != key
    assert dedup_key(replace(FOUND, name="另一个名字", national_id=NUMBER), "ab" * 32) == by_number
    assert NUMBER not in by_number
    assert finding_id_of(key) == finding_id_of(key) != finding_id_of(by_number)
    assert suspicion_id_of(finding_id_of(key)) not in (finding_id_of(key), suspicion_id_of(finding_id_of(by_number)))


def test_every_finding_kind_has_a_reason_in_words() -> None:
    assert set(REASONS) == {"no_hukou", "no_student_record", "not_attending"}
