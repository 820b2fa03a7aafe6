"""A known month of events for two counties of 宁波市 (海曙区 330203, 江北区 330205): see test_indicators_by_hand.

Schools: SA1 海曙第一中学 and SA2 海曙第二小学 in 330203, SB1 江北第一中学 in 330205. The city's calendar
for 2024-2025 has an autumn term to 2024-12-31 and a spring term from 2025-03-03 with 2025-03-07 off,
so March 2025 has 20 school days. Pupils P1-P4 entered grade 1 at SA2 in 2016 and are in grade 9 at SA1;
P5 is in grade 5 at SA2 (留守, 脱贫家庭); Q1 (随迁) and Q2 entered grade 1 at SB1 in 2016; Q3 lives in
330205 out of school; Q4 is removed from 330205's ledger in March.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from baoxue_contracts import Envelope, Event
from baoxue_contracts.events.attendance import (
    AbsenceRecorded,
    AttendanceSubmitted,
    CalendarPublished,
    PresenceRecorded,
    SchoolRegistered,
    StudentEnrolled,
    StudentLeft,
    StudentUpdated,
    Term,
)
from baoxue_contracts.events.ledger import CaseEscalated, EntrySnapshot, LedgerEntryChanged
from baoxue_contracts.events.verification import (
    DropoutConfirmed,
    EarlyWarningRaised,
    SuspicionCleared,
    VerificationAssigned,
    VerificationOverdue,
)

A, B, CITY = "330203", "330205", "330200"
SA1, SA2, SB1 = "3302030001", "3302030002", "3302050001"
COUNTY = {SA1: A, SA2: A, SB1: B}
MARCH = [date(2025, 3, d) for d in (3, 4, 5, 6, 10, 11, 12, 13, 14, 17, 18, 19, 20, 21, 24, 25, 26, 27, 28, 31)]
PUPIL = {p: f"L33020{i:05d}" for i, p in enumerate(["P1", "P2", "P3", "P4", "P5", "Q1", "Q2", "Q3", "Q4"], 1)}
SNAPSHOT = set(EntrySnapshot.model_fields)
ALL = ("school", "residence", "hukou")


def d(month_day: str, year: int = 2025) -> date:
    """A date of 2025 written MM-DD."""
    month, day = month_day.split("-")
    return date(year, int(month), int(day))


def uid(name: str) -> UUID:
    """A stable id for a name of the story."""
    return uuid5(NAMESPACE_URL, f"baoxue-h2-indicators/{name}")


class Ledgers:
    """Ledger entries as the ledger would publish them: each change carries the entry's state before it."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[str, str, dict[str, Any]]] = {}

    def add(self, name: str, ledger: str, county: str, day: date, **fields: Any) -> LedgerEntryChanged:
        self.entries[name] = (ledger, county, fields)
        return self._event(name, "added", day, None)

    def update(self, name: str, day: date, **changes: Any) -> LedgerEntryChanged:
        ledger, county, fields = self.entries[name]
        before = self._snapshot(fields)
        self.entries[name] = (ledger, county, fields | changes)
        return self._event(name, "updated", day, before)

    def remove(self, name: str, day: date) -> LedgerEntryChanged:
        return self._event(name, "removed", day, self._snapshot(self.entries[name][2]))

    @staticmethod
    def _snapshot(fields: dict[str, Any]) -> EntrySnapshot:
        return EntrySnapshot(**{k: v for k, v in fields.items() if k in SNAPSHOT})

    def _event(self, name: str, change: str, day: date, before: EntrySnapshot | None) -> LedgerEntryChanged:
        ledger, county, fields = self.entries[name]
        case = {"case_id": uid(name)} if ledger == "dropouts" else {}
        return LedgerEntryChanged(
            ledger=ledger,
            entry_id=uid(name),
            change=change,
            county_code=county,
            changed_on=day,
            before=before,
            **case,
            **fields,
        )


def pupil(name: str, school: str, grade: int, cls: str, **more: Any) -> StudentEnrolled:
    """A pupil joining a roll."""
    county = COUNTY[school]
    return StudentEnrolled(
        student_id=PUPIL[name],
        school_code=school,
        name=name,
        gender="F",
        birth_date=date(2016 - grade + 6, 3, 1),
        grade=grade,
        class_name=cls,
        hukou_county_code=county,
        residence_county_code=county,
        national_id_hash=f"{abs(hash(name)):032x}"[:32],
        **more,
    )


def absence(name: str, school: str, day: str, status: str, **more: Any) -> AbsenceRecorded:
    return AbsenceRecorded(
        student_id=PUPIL[name], school_code=school, date=d(day), status=status, batch_id=uuid4(), **more
    )


def presence(name: str, school: str, day: str, status: str, **more: Any) -> PresenceRecorded:
    return PresenceRecorded(
        student_id=PUPIL[name], school_code=school, date=d(day), status=status, batch_id=uuid4(), **more
    )


def submitted(school: str, day: date, counts: dict[str, int]) -> AttendanceSubmitted:
    return AttendanceSubmitted(
        school_code=school, date=day, batch_id=uuid4(), counts=counts, total=sum(counts.values())
    )


def assigned(v: str, county: str, school: str | None, on: str, due: str, groups: tuple[str, ...] = ()) -> Any:
    return VerificationAssigned(
        verification_id=uid(v),
        suspicion_id=uid(f"s-{v}"),
        county_code=county,
        school_code=school,
        assigned_to="school" if school else "county",
        assigned_on=d(on),
        due_on=d(due),
        groups=groups,
    )


def confirmed(v: str, county: str, school: str, on: str, source: str) -> DropoutConfirmed:
    return DropoutConfirmed(
        verification_id=uid(v),
        suspicion_id=uid(f"s-{v}"),
        source=source,
        county_code=county,
        school_code=school,
        confirmed_on=d(on),
        verified_by="校长",
    )


def overdue(v: str, county: str, school: str, due: str) -> VerificationOverdue:
    return VerificationOverdue(
        verification_id=uid(v),
        suspicion_id=uid(f"s-{v}"),
        county_code=county,
        school_code=school,
        assigned_to="school",
        due_on=d(due),
    )


def warning(name: str, school: str, on: str, groups: tuple[str, ...] = ()) -> EarlyWarningRaised:
    return EarlyWarningRaised(
        warning_id=uuid4(),
        student_id=PUPIL[name],
        school_code=school,
        county_code=COUNTY[school],
        raised_on=d(on),
        consecutive_unexcused_days=3,
        threshold=3,
        groups=groups,
    )


def escalated(case: str, county: str, school: str, level: str, on: str, deadline: str | None = None) -> CaseEscalated:
    return CaseEscalated(
        case_id=uid(case),
        county_code=county,
        school_code=school,
        level=level,
        escalated_on=d(on),
        deadline=d(deadline) if deadline else None,
        issued_by="教育局",
    )


def story() -> Iterator[Sequence[Event]]:
    """The polls, in order: each a list of events applied in one transaction."""
    led = Ledgers()
    autumn, spring = (
        Term(name="秋季学期", start=d("09-02", 2024), end=d("12-31", 2024)),
        Term(name="春季学期", start=d("03-03"), end=d("07-04")),
    )
    yield [
        CalendarPublished(region_code=CITY, school_year="2024-2025", terms=(autumn, spring), holidays=(d("03-07"),)),
        SchoolRegistered(school_code=SA1, name="海曙第一中学", county_code=A, kind="junior"),
        SchoolRegistered(school_code=SA2, name="海曙第二小学", county_code=A, kind="primary"),
        SchoolRegistered(school_code=SB1, name="江北第一中学", county_code=B, kind="nine_year"),
    ]
    # 2016: the cohort enters grade 1.
    y16 = date(2016, 9, 1)
    yield [
        led.add(p, "school_age", A, y16, status="enrolled", school_code=SA2, grade=1, relations=ALL)
        for p in ("P1", "P2", "P3", "P4")
    ] + [
        led.add(
            "Q1", "school_age", B, y16, status="enrolled", school_code=SB1, grade=1, relations=ALL, groups=("migrant",)
        ),
        led.add("Q2", "school_age", B, y16, status="enrolled", school_code=SB1, grade=1, relations=ALL),
    ]
    # 2024-09: grade 9 at SA1 and SB1; P5, Q3, Q4 listed; rolls pushed.
    y24 = date(2024, 9, 2)
    yield [led.update(p, y24, school_code=SA1, grade=9) for p in ("P1", "P2", "P3", "P4")] + [
        led.update("Q1", y24, grade=9),
        led.update("Q2", y24, grade=9),
        led.add(
            "P5",
            "school_age",
            A,
            y24,
            status="enrolled",
            school_code=SA2,
            grade=5,
            relations=ALL,
            groups=("left_behind",),
            poverty_household=True,
        ),
        led.add("Q3", "school_age", B, y24, status="out_of_school", relations=("residence",)),
        led.add("Q4", "school_age", B, y24, status="enrolled", school_code=SB1, grade=7, relations=ALL),
    ]
    yield [
        *(pupil(p, SA1, 9, "9-1") for p in ("P1", "P2", "P3", "P4")),
        pupil("P5", SA2, 5, "5-1", groups=("left_behind",), poverty_household=True),
        pupil("Q1", SB1, 9, "9-2", groups=("migrant",)),
        pupil("Q2", SB1, 9, "9-2"),
        pupil("Q4", SB1, 7, "7-1"),
    ]
    q2 = pupil("Q2", SB1, 9, "9-3").model_dump(exclude={"enrolled_on"})
    yield [StudentUpdated(**q2, changed=("class_name",), updated_on=d("03-01"))]
    yield from march(led)


def march(led: Ledgers) -> Iterator[Sequence[Event]]:
    """March 2025, day by day."""
    sus = {"status": "pending", "flagged_on": d("03-03")}
    for day in MARCH:
        yield [
            submitted(SA1, day, {"present": 3, "absent_unexcused": 1}),
            submitted(SB1, day, {"present": 2, "late": 1}),
        ]
        if day != d("03-31"):
            yield [submitted(SA2, day, {"absent_unexcused": 1} if day == d("03-18") else {"present": 1})]
    yield [
        absence("P4", SA1, "03-03", "absent_unexcused"),
        absence("P4", SA1, "03-04", "absent_unexcused"),
        absence("P4", SA1, "03-05", "absent_unexcused"),
        absence("P3", SA1, "03-03", "absent_unexcused"),
        absence("P3", SA1, "03-04", "absent_unexcused"),
        absence("P3", SA1, "03-05", "absent_unexcused"),
        absence("P3", SA1, "03-06", "absent_excused"),
    ]
    yield [absence("P3", SA1, "03-06", "absent_unexcused", correction=True, previous_status="absent_excused")]
    yield [presence("P4", SA1, "03-06", "present"), absence("P1", SA1, "03-10", "absent_unexcused")]
    yield [presence("P1", SA1, "03-10", "late", correction=True, previous_status="absent_unexcused")]
    yield [
        absence("P5", SA2, "03-18", "absent_unexcused"),
        absence("P5", SA2, "03-19", "absent_excused"),
        absence("Q1", SB1, "03-06", "absent_unexcused"),
        absence("Q2", SB1, "03-10", "absent_excused"),
    ]
    # A correction of SB1's 10 March: the day's whole counts again, one pupil fewer present.
    yield [submitted(SB1, d("03-10"), {"present": 1, "late": 1, "absent_excused": 1})]
    yield [
        warning("P4", SA1, "03-05"),
        warning("P3", SA1, "03-05"),
        warning("Q1", SB1, "03-06", ("migrant",)),
        warning("P5", SA2, "03-19", ("left_behind",)),
    ]
    att = {"source": "attendance", "sources": ("attendance",)}
    yield [
        led.add("S1", "suspected", A, d("03-03"), school_code=SA1, **sus, **att),
        led.add("S2", "suspected", A, d("03-03"), school_code=SA1, **sus, **att),
        led.add(
            "S3",
            "suspected",
            B,
            d("03-03"),
            school_code=SB1,
            groups=("migrant",),
            source="national_platform",
            sources=("national_platform",),
            **sus,
        ),
    ]
    yield [assigned("V1", A, SA1, "03-03", "03-07"), assigned("V2", A, SA1, "03-03", "03-07")]
    yield [led.update("S1", d("03-04"), status="verifying")]
    yield [
        led.update("S3", d("03-05"), sources=("national_platform", "attendance")),
        led.add(
            "S5",
            "suspected",
            B,
            d("03-05"),
            school_code=SB1,
            status="pending",
            flagged_on=d("03-05"),
            source="field",
            sources=("field",),
        ),
    ]
    yield [assigned("V5", B, SB1, "03-05", "03-12")]
    yield [confirmed("V1", A, SA1, "03-06", "attendance")]
    yield [
        led.update("S1", d("03-06"), status="confirmed_dropout"),
        led.update("P4", d("03-06"), status="dropout"),
        led.add(
            "C1",
            "dropouts",
            A,
            d("03-06"),
            status="open",
            school_code=SA1,
            cause="work",
            flagged_on=d("03-03"),
            assignees=("王老师",),
        ),
    ]
    yield [
        SuspicionCleared(
            verification_id=uid("V5"),
            suspicion_id=uid("s-V5"),
            source="field",
            county_code=B,
            school_code=SB1,
            reason="data_error",
            cleared_on=d("03-07"),
        )
    ]
    yield [led.update("S5", d("03-07"), status="cleared", reason="data_error")]
    yield [overdue("V2", A, SA1, "03-07")]
    # V3 arrives out of order: its outcome before its assignment.
    yield [confirmed("V3", B, SB1, "03-10", "national_platform")]
    yield [assigned("V3", B, SB1, "03-04", "03-11", ("migrant",))]
    yield [
        led.update("S3", d("03-10"), status="confirmed_dropout"),
        led.update("Q1", d("03-10"), status="dropout"),
        led.add(
            "C3",
            "dropouts",
            B,
            d("03-10"),
            status="open",
            school_code=SB1,
            groups=("migrant",),
            cause="learning_difficulty",
            flagged_on=d("03-03"),
            assignees=("赵老师",),
        ),
    ]
    yield [escalated("C1", A, SA1, "order_to_correct", "03-10", "03-14")]
    yield [led.update("C1", d("03-10"), escalation_level="order_to_correct")]
    yield [confirmed("V2", A, SA1, "03-12", "attendance")]
    yield [
        led.update("S2", d("03-12"), status="confirmed_dropout"),
        led.update("P3", d("03-12"), status="dropout"),
        led.add(
            "C2",
            "dropouts",
            A,
            d("03-12"),
            status="open",
            school_code=SA1,
            cause="family_poverty",
            flagged_on=d("03-03"),
            assignees=("王老师", "李主任"),
        ),
    ]
    yield [escalated("C3", B, SB1, "criticism_education", "03-12")]
    yield [led.update("C3", d("03-12"), escalation_level="criticism_education")]
    yield [escalated("C2", A, SA1, "order_to_correct", "03-14", "03-21")]
    yield [led.update("C2", d("03-14"), escalation_level="order_to_correct")]
    yield [led.remove("Q4", d("03-15"))]
    yield [StudentLeft(student_id=PUPIL["Q4"], school_code=SB1, reason="transfer", left_on=d("03-15"))]
    yield [
        led.update("C1", d("03-17"), status="returned", returned_on=d("03-17")),
        led.update("P4", d("03-17"), status="returned"),
    ]
    yield [
        led.add(
            "S4",
            "suspected",
            A,
            d("03-17"),
            school_code=SA2,
            status="pending",
            flagged_on=d("03-17"),
            groups=("left_behind",),
            poverty_household=True,
            **att,
        )
    ]
    yield [assigned("V4", A, SA2, "03-17", "03-21", ("left_behind",))]
    yield [led.update("S4", d("03-18"), status="verifying")]
    yield [
        led.add(
            "S6",
            "suspected",
            B,
            d("03-20"),
            status="pending",
            flagged_on=d("03-20"),
            source="cross_check",
            sources=("cross_check",),
        )
    ]
    yield [assigned("V6", B, None, "03-20", "03-31")]
    yield [
        led.update("C3", d("03-20"), status="returned", returned_on=d("03-20")),
        led.update("Q1", d("03-20"), status="returned"),
    ]
    yield [overdue("V4", A, SA2, "03-21")]
    yield [led.update("C3", d("03-27"), status="open", relapses=1), led.update("Q1", d("03-27"), status="dropout")]
    yield [led.update("C1", d("03-28"), status="closed", reason="consolidated", closed_on=d("03-28"))]


def envelope(event: Event) -> Envelope:
    """The envelope the producer would have written (keyed by the event's county)."""
    region = getattr(event, "county_code", None) or getattr(event, "region_code", None)
    if region is None:
        region = COUNTY[event.school_code]  # type: ignore[attr-defined]
    day = next((v for v in event.model_dump().values() if isinstance(v, date)), date(2025, 3, 1))
    at = datetime.combine(day, time(8), tzinfo=UTC)
    return Envelope.wrap(event, producer="test", region=region, occurred_at=at, recorded_at=at)
