"""Roster diffs and leave reasons (attendance marks: test_attendance_domain.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from attendance_ingest.domain.model import Pupil, diff_roster, leave_reason


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
    ("grade", "transfer_pending", "reason"),
    [
        (6, False, "graduation"),
        (9, False, "graduation"),
        (6, True, "transfer"),
        (9, True, "transfer"),
        (1, True, "transfer"),
        (1, False, "unexplained"),
        (5, False, "unexplained"),
        (7, False, "unexplained"),
        (8, False, "unexplained"),
    ],
)
def test_leave_reason(grade: int, transfer_pending: bool, reason: str) -> None:
    assert leave_reason(pupil(grade=grade), transfer_pending=transfer_pending) == reason
