"""A timeline line per event type: who did it, a plain summary with no ID number; how a caller names a child."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from baoxue_common.testing import national_id, student_id
from baoxue_contracts import Envelope
from baoxue_contracts.base import Event
from baoxue_contracts.events import attendance as att
from baoxue_contracts.events import verification as ver
from ledger.domain.timeline import SUMMARY_FIELDS, household_lines, line_of, masked_key, parse_child_id, scrub
from ledger.timeline_feed import HANDLERS

COUNTY, SCHOOL = "140122", "1401220001"
BIRTH = date(2015, 3, 7)
NUMBER = national_id(COUNTY, BIRTH, 5)
PUPIL = "G" + NUMBER
HASH = "ab" * 32
SUSPICION, VERIFICATION = uuid.uuid4(), uuid.uuid4()
DAY = date(2026, 10, 12)
ROLL: dict[str, Any] = {
    "student_id": PUPIL,
    "school_code": SCHOOL,
    "name": "王小明",
    "gender": "M",
    "birth_date": BIRTH,
    "grade": 4,
    "class_name": "4(2)",
    "hukou_county_code": COUNTY,
    "residence_county_code": COUNTY,
    "national_id_hash": HASH,
}
BATCH = {"batch_id": uuid.uuid4()}
SUSPECT = {"suspicion_id": SUSPICION, "county_code": COUNTY, "school_code": SCHOOL}
CHECK = {**SUSPECT, "verification_id": VERIFICATION, "student_id": PUPIL}

# Each event type the timeline takes, with who it names as having done it and its summary.
CASES: list[tuple[Event, str, dict[str, Any]]] = [
    (
        att.StudentEnrolled(**ROLL, enrolled_on=DAY),
        f"school:{SCHOOL}",
        {"school_code": SCHOOL, "grade": 4, "class_name": "4(2)", "enrolled_on": "2026-10-12"},
    ),
    (
        att.StudentUpdated(**ROLL, changed=("grade",), updated_on=DAY),
        f"school:{SCHOOL}",
        {"school_code": SCHOOL, "grade": 4, "class_name": "4(2)", "changed": ["grade"], "updated_on": "2026-10-12"},
    ),
    (
        att.StudentLeft(student_id=PUPIL, school_code=SCHOOL, reason="unexplained", left_on=DAY),
        f"school:{SCHOOL}",
        {"school_code": SCHOOL, "reason": "unexplained", "left_on": "2026-10-12"},
    ),
    (
        att.TransferRequested(
            transfer_id=uuid.uuid4(),
            student_id=PUPIL,
            school_code=SCHOOL,
            to_school_code="1401810001",
            requested_on=DAY,
        ),
        f"school:{SCHOOL}",
        {"school_code": SCHOOL, "to_school_code": "1401810001", "requested_on": "2026-10-12"},
    ),
    (
        att.TransferCompleted(
            transfer_id=uuid.uuid4(),
            student_id=PUPIL,
            school_code="1401810001",
            from_school_code=SCHOOL,
            completed_on=DAY,
        ),
        "school:1401810001",
        {"school_code": "1401810001", "from_school_code": SCHOOL, "completed_on": "2026-10-12"},
    ),
    (
        att.AbsenceRecorded(student_id=PUPIL, school_code=SCHOOL, date=DAY, status="absent_unexcused", **BATCH),
        f"school:{SCHOOL}",
        {"school_code": SCHOOL, "date": "2026-10-12", "status": "absent_unexcused", "correction": False},
    ),
    (
        att.PresenceRecorded(
            student_id=PUPIL,
            school_code=SCHOOL,
            date=DAY,
            status="present",
            correction=True,
            previous_status="absent_unexcused",
            **BATCH,
        ),
        f"school:{SCHOOL}",
        {
            "school_code": SCHOOL,
            "date": "2026-10-12",
            "status": "present",
            "correction": True,
            "previous_status": "absent_unexcused",
        },
    ),
    (
        ver.EarlyWarningRaised(
            warning_id=uuid.uuid4(),
            student_id=PUPIL,
            school_code=SCHOOL,
            county_code=COUNTY,
            raised_on=DAY,
            consecutive_unexcused_days=3,
            threshold=3,
        ),
        "system",
        {"school_code": SCHOOL, "raised_on": "2026-10-12", "consecutive_unexcused_days": 3, "threshold": 3},
    ),
    (
        ver.SuspectedDropoutFlagged(
            **SUSPECT,
            source="attendance",
            student_id=PUPIL,
            flagged_on=DAY,
            reason="15 consecutive unexcused school days",
            consecutive_unexcused_days=15,
            name="王小明",
        ),
        "system",
        {
            "suspicion_id": str(SUSPICION),
            "source": "attendance",
            "school_code": SCHOOL,
            "flagged_on": "2026-10-12",
            "reason": "15 consecutive unexcused school days",
            "consecutive_unexcused_days": 15,
        },
    ),
    (
        ver.ReviewRaised(
            review_id=uuid.uuid4(),
            student_id=PUPIL,
            school_code=SCHOOL,
            county_code=COUNTY,
            raised_on=DAY,
            run_start=date(2026, 9, 14),
            consecutive_excused_days=20,
            threshold=20,
            reasons=("sick",),
        ),
        "system",
        {
            "school_code": SCHOOL,
            "raised_on": "2026-10-12",
            "run_start": "2026-09-14",
            "consecutive_excused_days": 20,
            "threshold": 20,
            "reasons": ["sick"],
        },
    ),
    (
        ver.VerificationAssigned(**CHECK, assigned_to="school", assigned_on=DAY, due_on=date(2026, 10, 19)),
        "system",
        {
            "suspicion_id": str(SUSPICION),
            "school_code": SCHOOL,
            "assigned_to": "school",
            "assigned_on": "2026-10-12",
            "due_on": "2026-10-19",
        },
    ),
    (
        ver.VerificationOverdue(**CHECK, assigned_to="county", due_on=DAY),
        "system",
        {"suspicion_id": str(SUSPICION), "school_code": SCHOOL, "assigned_to": "county", "due_on": "2026-10-12"},
    ),
    (
        ver.DropoutConfirmed(
            **CHECK, source="attendance", confirmed_on=DAY, verified_by="李老师", cause="work", note="在外打工"
        ),
        "李老师",
        {
            "suspicion_id": str(SUSPICION),
            "school_code": SCHOOL,
            "source": "attendance",
            "confirmed_on": "2026-10-12",
            "cause": "work",
            "note": "在外打工",
        },
    ),
    (
        ver.SuspicionCleared(**CHECK, source="attendance", reason="attendance_corrected", cleared_on=DAY),
        "system",
        {
            "suspicion_id": str(SUSPICION),
            "school_code": SCHOOL,
            "source": "attendance",
            "reason": "attendance_corrected",
        }
        | {"cleared_on": "2026-10-12"},
    ),
    (
        ver.SuspicionCleared(**CHECK, source="attendance", reason="transferred", cleared_on=DAY, verified_by="张敏"),
        "张敏",
        {"suspicion_id": str(SUSPICION), "school_code": SCHOOL, "source": "attendance", "reason": "transferred"}
        | {"cleared_on": "2026-10-12"},
    ),
]


def wrap(event: Event, producer: str = "verification") -> Envelope:
    """Sent a week after the day it happened."""
    return Envelope.wrap(event, producer=producer, region=COUNTY, occurred_at=datetime(2026, 10, 19, 8, tzinfo=UTC))


@pytest.mark.parametrize(("event", "actor", "summary"), CASES, ids=[f"{c[0].event_type}-{c[1]}" for c in CASES])
def test_each_event_names_who_did_it_and_summarises_plainly(event: Event, actor: str, summary: dict[str, Any]) -> None:
    envelope = wrap(event)
    line = line_of(event, envelope)
    assert line is not None
    assert (line.actor, line.summary) == (actor, summary)
    assert (line.child_key, line.student_id, line.county_code) == (PUPIL, PUPIL, COUNTY)
    noon_of_the_day = datetime(2026, 10, 12, 12, tzinfo=UTC)  # every event here happened on DAY: placed there
    assert (line.event_id, line.occurred_at, line.producer) == (envelope.event_id, noon_of_the_day, "verification")
    assert NUMBER not in json.dumps(line.summary, ensure_ascii=False), "never an ID number in a summary"
    assert "王小明" not in json.dumps(line.summary, ensure_ascii=False), "never a name"


def test_every_event_type_the_timeline_takes_has_a_summary_and_a_case_here() -> None:
    taken = {cls.event_type for cls in HANDLERS} - {"HouseholdRegisterChanged"}  # a line per child: below
    assert taken == set(SUMMARY_FIELDS) == {event.event_type for event, _, _ in CASES}


def test_a_household_register_change_gives_a_line_per_child_by_id_hash() -> None:
    other = "cd" * 32
    child = {"national_id_hash": HASH, "masked_id": NUMBER[:4] + "*" * 10 + NUMBER[-4:], "gender": "F"}
    child |= {"birth_date": BIRTH, "hukou_county_code": COUNTY, "residence_county_code": "140181"}
    event = ver.HouseholdRegisterChanged(
        county_code=COUNTY, as_of=DAY, part=1, parts=1, children=(child,), removed=(other,)
    )
    envelope = wrap(event)
    lines = household_lines(event, envelope)
    assert [(line.child_key, line.national_id_hash, line.student_id, line.actor) for line in lines] == [
        (f"h:{HASH}", HASH, None, None),
        (f"h:{other}", other, None, None),
    ]
    assert [line.summary for line in lines] == [
        {"register": "household", "as_of": "2026-10-12", "change": "added_or_changed"}
        | {"hukou_county_code": COUNTY, "residence_county_code": "140181"},
        {"register": "household", "as_of": "2026-10-12", "change": "removed"},
    ]
    ids = [line.event_id for line in lines]
    assert len(set(ids)) == 2 and envelope.event_id not in ids
    assert ids == [line.event_id for line in household_lines(event, envelope)], "a redelivery: the same ids"
    assert NUMBER[4:-4] not in json.dumps([line.summary for line in lines])


def test_the_roll_lines_carry_the_id_hash_and_a_suspect_without_a_pupil_is_keyed_by_it() -> None:
    enrolled = line_of(att.StudentEnrolled(**ROLL), wrap(att.StudentEnrolled(**ROLL), "attendance-ingest"))
    assert enrolled is not None and enrolled.national_id_hash == HASH
    found = ver.SuspectedDropoutFlagged(
        **SUSPECT | {"school_code": None}, source="field", flagged_on=DAY, reason="not at school", national_id_hash=HASH
    )
    line = line_of(found, wrap(found))
    assert line is not None and (line.child_key, line.student_id, line.national_id_hash) == (f"h:{HASH}", None, HASH)


def test_an_event_about_no_identifiable_child_has_no_line_unless_its_suspect_names_one() -> None:
    assigned = ver.VerificationAssigned(
        **SUSPECT, verification_id=VERIFICATION, assigned_to="county", assigned_on=DAY, due_on=DAY
    )
    assert line_of(assigned, wrap(assigned)) is None
    line = line_of(assigned, wrap(assigned), national_id_hash=HASH)
    assert line is not None and line.child_key == f"h:{HASH}"


def test_an_id_number_in_free_text_is_masked() -> None:
    masked = NUMBER[:4] + "*" * 10 + NUMBER[-4:]
    assert scrub(f"家长称 {NUMBER} 已外出") == f"家长称 {masked} 已外出"
    assert scrub(f"学籍号G{NUMBER}") == f"学籍号G{masked}"
    assert scrub(["a", NUMBER.lower()]) == ["a", NUMBER.lower()[:4] + "*" * 10 + NUMBER.lower()[-4:]]
    assert scrub("20 unexcused days, 1234567890") == "20 unexcused days, 1234567890"
    assert scrub(3) == 3


@pytest.mark.parametrize(
    ("raw", "kind", "value"),
    [
        (PUPIL, "student", PUPIL),
        ("L123456", "student", "L123456"),
        (NUMBER, "national", NUMBER),
        (national_id(COUNTY, BIRTH, 10).lower(), "national", national_id(COUNTY, BIRTH, 10).upper()),
    ],
)
def test_a_child_is_named_by_student_number_or_id_number(raw: str, kind: str, value: str) -> None:
    named = parse_child_id(raw)
    assert (named.kind, named.value) == (kind, value)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("G123", "not a student number"),
        ("L12a", "not a student number"),
        ("L" + "1" * 25, "not a student number"),
        ("G" + "１" * 18, "not a student number"),
        (NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1"), "check"),
        ("12345", "neither"),
        ("", "neither"),
        ("x" * 18, "17 digits"),
    ],
)
def test_a_bad_child_id_says_why(raw: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_child_id(raw)


def test_keys_are_shown_masked() -> None:
    assert masked_key(PUPIL) == "G" + NUMBER[:4] + "*" * 10 + NUMBER[-4:]
    assert masked_key(f"h:{HASH}") == f"h:{HASH[:12]}"
    assert student_id(COUNTY, BIRTH, 5) == PUPIL
