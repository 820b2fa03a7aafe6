"""The roll: diffs, why a pupil left (graduation only once the school year has ended), identity checks of a roll."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from attendance_ingest.domain.roll import Pupil, RollEntry, diff_roster, leave_reason, roll_problems
from baoxue_common.calendar import Calendar, Term, school_days_of
from baoxue_common.testing import national_id


def pupil(student_id: str = "G1", **changes: object) -> Pupil:
    base = Pupil(
        student_id=student_id,
        name="张三",
        gender="M",
        birth_date=date(2015, 3, 4),
        grade=4,
        class_name="2",
        hukou_county_code="522601",
        residence_county_code="522601",
        national_id_hash="h-" + student_id,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_roster_diff_sorts_pupils_into_joined_changed_and_left() -> None:
    stay, move, leave = pupil("G1"), pupil("G2"), pupil("G3")
    moved = replace(move, grade=5, class_name="1")
    newcomer = pupil("G4")
    diff = diff_roster({"G1": stay, "G2": move, "G3": leave}, {"G1": stay, "G2": moved, "G4": newcomer})
    assert diff.joined == [newcomer]
    assert diff.changed == [(moved, ("grade", "class_name"))]
    assert diff.left == [leave]


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"name": "张四"}, ("name",)),
        ({"groups": ("left_behind",)}, ("groups",)),
        ({"poverty_household": True}, ("poverty_household",)),
        (
            {"residence_county_code": "110101", "hukou_county_code": "110102"},
            ("hukou_county_code", "residence_county_code"),
        ),
        ({"national_id_hash": "other"}, ("national_id_hash",)),
        ({"birth_date": date(2015, 3, 5), "gender": "F"}, ("gender", "birth_date")),
    ],
)
def test_changed_fields_are_named_in_field_order(changes: dict[str, object], fields: tuple[str, ...]) -> None:
    before = pupil()
    after = replace(before, **changes)  # type: ignore[arg-type]
    diff = diff_roster({"G1": before}, {"G1": after})
    assert diff.changed == [(after, fields)]
    assert diff.joined == [] and diff.left == []


@pytest.mark.parametrize(
    ("current", "incoming", "joined", "left"),
    [
        ({}, {}, 0, 0),
        ({}, {"G1": pupil("G1"), "G2": pupil("G2")}, 2, 0),
        ({"G1": pupil("G1"), "G2": pupil("G2")}, {}, 0, 2),
        ({"G1": pupil("G1")}, {"G1": pupil("G1")}, 0, 0),
    ],
)
def test_roster_diff_edge_cases(current: dict[str, Pupil], incoming: dict[str, Pupil], joined: int, left: int) -> None:
    diff = diff_roster(current, incoming)
    assert (len(diff.joined), len(diff.changed), len(diff.left)) == (joined, 0, left)


def test_roster_diff_does_not_share_lists_between_calls() -> None:
    diff_roster({}, {"G1": pupil("G1")})
    assert diff_roster({}, {}).joined == []


@pytest.mark.parametrize(
    ("kind", "grade", "transfer_pending", "year_ended", "reason"),
    [
        ("primary", 6, False, True, "graduation"),
        ("primary", 6, False, False, "unexplained"),
        ("primary", 9, False, True, "unexplained"),
        ("junior", 9, False, True, "graduation"),
        ("junior", 9, False, False, "unexplained"),
        ("nine_year", 9, False, True, "graduation"),
        ("nine_year", 6, False, True, "unexplained"),
        ("special", 6, False, True, "graduation"),
        ("special", 9, False, True, "graduation"),
        ("primary", 6, True, True, "transfer"),
        ("junior", 9, True, False, "transfer"),
        ("primary", 1, True, False, "transfer"),
        ("primary", 5, False, True, "unexplained"),
        ("junior", 8, False, True, "unexplained"),
    ],
)
def test_leave_reason(kind: str, grade: int, transfer_pending: bool, year_ended: bool, reason: str) -> None:
    got = leave_reason(pupil(grade=grade), transfer_pending=transfer_pending, school_kind=kind, year_ended=year_ended)
    assert got == reason


# A school year of two terms, the last ending on 2026-07-10; the next year starts 2026-09-01.
YEAR = Calendar(
    "110101",
    "2025-2026",
    (Term("上", date(2025, 9, 1), date(2026, 1, 20)), Term("下", date(2026, 3, 2), date(2026, 7, 10))),
    frozenset(),
    frozenset(),
)
NEXT = Calendar("110101", "2026-2027", (Term("上", date(2026, 9, 1), date(2027, 1, 20)),), frozenset(), frozenset())


@pytest.mark.parametrize(
    ("as_of", "reason"),
    [
        (date(2026, 5, 15), "unexplained"),  # before the end of the year
        (date(2026, 7, 10), "unexplained"),  # the last day of the last term: still in the year
        (date(2026, 7, 11), "graduation"),  # the day after
        (date(2026, 8, 31), "graduation"),  # summer holidays
        (date(2026, 9, 1), "unexplained"),  # the next school year has begun
    ],
)
def test_a_grade_6_leaver_graduates_only_once_the_last_term_has_ended(as_of: date, reason: str) -> None:
    days = school_days_of("110101", [YEAR, NEXT])
    got = leave_reason(pupil(grade=6), transfer_pending=False, school_kind="primary", year_ended=days.year_ended(as_of))
    assert got == reason


def test_without_a_calendar_nobody_graduates() -> None:
    ended = school_days_of("110101", []).year_ended(date(2026, 7, 20))
    assert (
        leave_reason(pupil(grade=6), transfer_pending=False, school_kind="primary", year_ended=ended) == "unexplained"
    )


BIRTH = date(2015, 3, 7)


def entry(seq: int, **changes: object) -> RollEntry:
    number = national_id("110101", BIRTH, seq)
    return RollEntry("G" + number, number, BIRTH)._replace(**changes)  # type: ignore[arg-type]


def test_a_valid_roll_has_no_problems() -> None:
    assert roll_problems([entry(1), entry(2), entry(3, student_id="L123")]) == []


def test_every_identity_problem_names_its_record_and_field() -> None:
    good = national_id("110101", BIRTH, 4)
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    problems = roll_problems(
        [
            entry(1),
            entry(1),  # the same pupil twice
            entry(2, birth_date=date(2015, 3, 8)),  # ID number does not match birth_date
            entry(3, student_id="G" + national_id("110101", BIRTH, 9)),  # G-number of someone else
            entry(4, national_id=bad_check, student_id="L4"),
            entry(5, student_id="L5", national_id=national_id("110101", BIRTH, 6)),
            entry(6),  # same ID number as index 5
            entry(7, national_id="110101201502300001", student_id="L7"),  # 30 February does not exist
        ]
    )
    fields = [(i, field) for i, field, _ in problems]
    assert fields == [
        (1, "student_id"),
        (1, "national_id"),
        (2, "national_id"),
        (3, "student_id"),
        (4, "national_id"),
        (6, "national_id"),
        (7, "national_id"),
    ]
    assert "index 0" in problems[0][2] and "index 5" in problems[5][2]
