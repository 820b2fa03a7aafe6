"""One fixed, valid sample of every event: for tests, for consumers' tests, and for the docs' examples."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from types import MappingProxyType
from uuid import UUID, uuid5

from baoxue_contracts import events as ev
from baoxue_contracts.base import Event
from baoxue_contracts.catalog import PRODUCER_OF
from baoxue_contracts.envelope import Envelope

_NS = UUID("6f1c2a4e-3b5d-4f7a-9c8e-0d1e2f3a4b5c")
COUNTY = "110101"
SCHOOL = "2111010001"
OTHER_SCHOOL = "2111010002"
STUDENT = "G110101201503070012"
ID_HASH = "3f" * 32
DAY = date(2026, 3, 2)


def _id(name: str) -> UUID:
    return uuid5(_NS, name)


_SAMPLES: tuple[Event, ...] = (
    ev.SchoolRegistered(school_code=SCHOOL, name="东城第一小学", county_code=COUNTY, kind="primary"),
    ev.CalendarPublished(
        region_code=COUNTY,
        school_year="2025-2026",
        terms=(
            ev.Term(name="autumn", start=date(2025, 9, 1), end=date(2026, 1, 16)),
            ev.Term(name="spring", start=date(2026, 2, 23), end=date(2026, 7, 3)),
        ),
        holidays=(date(2026, 4, 6), date(2026, 5, 1)),
        makeup_days=(date(2026, 4, 26),),
    ),
    ev.StudentEnrolled(
        student_id=STUDENT,
        school_code=SCHOOL,
        name="张小明",
        gender="M",
        birth_date=date(2015, 3, 7),
        grade=5,
        class_name="5-2",
        hukou_county_code="130102",
        residence_county_code=COUNTY,
        groups=("migrant", "left_behind"),
        poverty_household=True,
        national_id_hash=ID_HASH,
        enrolled_on=date(2025, 9, 1),
    ),
    ev.StudentUpdated(
        student_id=STUDENT,
        school_code=SCHOOL,
        name="张小明",
        gender="M",
        birth_date=date(2015, 3, 7),
        grade=5,
        class_name="5-3",
        hukou_county_code="130102",
        residence_county_code=COUNTY,
        groups=("migrant",),
        national_id_hash=ID_HASH,
        changed=("class_name", "groups", "poverty_household"),
        updated_on=DAY,
    ),
    ev.StudentLeft(student_id=STUDENT, school_code=SCHOOL, reason="unexplained", left_on=DAY, grade=5),
    ev.TransferRequested(
        transfer_id=_id("transfer"),
        student_id=STUDENT,
        school_code=SCHOOL,
        to_school_code=OTHER_SCHOOL,
        requested_on=DAY,
        due_on=date(2026, 3, 30),
    ),
    ev.TransferCompleted(
        transfer_id=_id("transfer"),
        student_id=STUDENT,
        school_code=OTHER_SCHOOL,
        from_school_code=SCHOOL,
        completed_on=date(2026, 3, 9),
    ),
    ev.AbsenceRecorded(
        student_id=STUDENT,
        school_code=SCHOOL,
        date=DAY,
        status="absent_unexcused",
        reason="unknown",
        batch_id=_id("batch"),
    ),
    ev.PresenceRecorded(
        student_id=STUDENT,
        school_code=SCHOOL,
        date=DAY,
        status="present",
        correction=True,
        previous_status="absent_unexcused",
        batch_id=_id("batch"),
    ),
    ev.AttendanceSubmitted(
        school_code=SCHOOL,
        date=DAY,
        batch_id=_id("batch"),
        counts={"present": 410, "late": 3, "absent_excused": 5, "absent_unexcused": 2},
        total=420,
    ),
    ev.RulesPublished(region_code="110000", suspect_after_consecutive_unexcused=10, verification_deadline_days=7),
    ev.EarlyWarningRaised(
        warning_id=_id("warning"),
        student_id=STUDENT,
        school_code=SCHOOL,
        county_code=COUNTY,
        raised_on=DAY,
        consecutive_unexcused_days=3,
        threshold=3,
        groups=("migrant",),
    ),
    ev.ReviewRaised(
        review_id=_id("review"),
        student_id=STUDENT,
        school_code=SCHOOL,
        county_code=COUNTY,
        raised_on=DAY,
        run_start=date(2026, 2, 20),
        consecutive_excused_days=20,
        threshold=20,
        reasons=("sick",),
        groups=("migrant",),
    ),
    ev.SuspectedDropoutFlagged(
        suspicion_id=_id("suspicion"),
        source="attendance",
        county_code=COUNTY,
        school_code=SCHOOL,
        student_id=STUDENT,
        flagged_on=date(2026, 3, 20),
        reason="15 consecutive unexcused school days",
        consecutive_unexcused_days=15,
        groups=("migrant",),
        poverty_household=True,
    ),
    ev.VerificationAssigned(
        verification_id=_id("verification"),
        suspicion_id=_id("suspicion"),
        county_code=COUNTY,
        school_code=SCHOOL,
        student_id=STUDENT,
        assigned_to="school",
        assigned_on=date(2026, 3, 20),
        due_on=date(2026, 3, 30),
    ),
    ev.VerificationOverdue(
        verification_id=_id("verification"),
        suspicion_id=_id("suspicion"),
        county_code=COUNTY,
        school_code=SCHOOL,
        student_id=STUDENT,
        assigned_to="school",
        due_on=date(2026, 3, 30),
    ),
    ev.DropoutConfirmed(
        verification_id=_id("verification"),
        suspicion_id=_id("suspicion"),
        source="attendance",
        county_code=COUNTY,
        school_code=SCHOOL,
        student_id=STUDENT,
        confirmed_on=date(2026, 3, 27),
        verified_by="王老师",
        flagged_on=date(2026, 3, 20),
        groups=("migrant",),
        poverty_household=True,
    ),
    ev.SuspicionCleared(
        verification_id=_id("verification"),
        suspicion_id=_id("suspicion"),
        source="attendance",
        county_code=COUNTY,
        school_code=SCHOOL,
        student_id=STUDENT,
        reason="medical_leave",
        cleared_on=date(2026, 3, 27),
        verified_by="王老师",
    ),
    ev.PersuasionAttemptRecorded(
        case_id=_id("case"),
        attempt_id=_id("attempt"),
        county_code=COUNTY,
        school_code=SCHOOL,
        student_id=STUDENT,
        attempted_on=date(2026, 3, 30),
        method="home_visit",
        by="李主任",
        outcome="refused",
    ),
    ev.CaseEscalated(
        case_id=_id("case"),
        county_code=COUNTY,
        student_id=STUDENT,
        level="order_to_correct",
        previous_level="criticism_education",
        escalated_on=date(2026, 4, 10),
        deadline=date(2026, 4, 30),
        issued_by="东城区教育局",
    ),
    ev.ReturnConfirmed(
        case_id=_id("case"),
        county_code=COUNTY,
        school_code=SCHOOL,
        student_id=STUDENT,
        returned_on=date(2026, 4, 20),
        placement="regular",
        consolidation_due_on=date(2026, 7, 20),
    ),
    ev.CaseClosed(
        case_id=_id("case"),
        county_code=COUNTY,
        school_code=SCHOOL,
        student_id=STUDENT,
        closed_on=date(2026, 7, 20),
        returned_on=date(2026, 4, 20),
    ),
    ev.CaseReopened(
        case_id=_id("case"),
        county_code=COUNTY,
        school_code=SCHOOL,
        student_id=STUDENT,
        reopened_on=date(2026, 9, 30),
        reason="left school again",
    ),
    ev.CaseCauseRecorded(
        case_id=_id("case"),
        county_code=COUNTY,
        student_id=STUDENT,
        main="family_poverty",
        others=("learning_difficulty",),
        recorded_on=date(2026, 3, 30),
        recorded_by="张敏",
    ),
    ev.CaseClosureProposed(
        case_id=_id("case"),
        county_code=COUNTY,
        student_id=STUDENT,
        proposed_on=date(2026, 7, 20),
        returned_on=date(2026, 4, 20),
        school_days_back=60,
    ),
    ev.CaseClosureRejected(
        case_id=_id("case"),
        county_code=COUNTY,
        student_id=STUDENT,
        rejected_on=date(2026, 7, 21),
        rejected_by="李华",
        reason="attendance still irregular",
    ),
    ev.CaseTransferRequested(
        case_id=_id("case"),
        county_code=COUNTY,
        student_id=STUDENT,
        to_county_code="110102",
        requested_on=date(2026, 4, 2),
        requested_by="张敏",
        reason="family moved to 西城区",
    ),
    ev.CaseTransferAccepted(
        case_id=_id("case"),
        county_code=COUNTY,
        student_id=STUDENT,
        to_county_code="110102",
        accepted_on=date(2026, 4, 3),
        accepted_by="王芳",
    ),
    ev.CaseTransferRejected(
        case_id=_id("case"),
        county_code=COUNTY,
        student_id=STUDENT,
        to_county_code="110102",
        rejected_on=date(2026, 4, 3),
        rejected_by="王芳",
        reason="the family is not on our register",
    ),
    ev.LedgerEntryChanged(
        ledger="dropouts",
        entry_id=_id("entry"),
        change="added",
        county_code=COUNTY,
        school_code=SCHOOL,
        student_id=STUDENT,
        status="confirmed",
        source="attendance",
        groups=("migrant",),
        poverty_household=True,
        changed_on=date(2026, 3, 27),
        grade=5,
        case_id=_id("case"),
        flagged_on=date(2026, 3, 20),
    ),
    ev.HouseholdRegisterChanged(
        county_code=COUNTY,
        as_of=date(2026, 3, 1),
        part=1,
        parts=1,
        children=(
            ev.HouseholdChild(
                national_id_hash="9f2c4e" * 8,
                masked_id="1101**********0011",
                gender="F",
                birth_date=date(2015, 5, 1),
                hukou_county_code=COUNTY,
                residence_county_code=COUNTY,
            ),
        ),
    ),
    ev.RegionStatsUpdated(
        region_code=COUNTY,
        tier="county",
        period="2026-Q1",
        figures={"suspected": 4, "confirmed": 1, "returned": 0, "attendance_rate": 0.987},
        as_of=datetime(2026, 3, 31, 16, 0, tzinfo=UTC),
    ),
    ev.TokenRevoked(jti="b7e9c2", expires_at=datetime(2026, 6, 30, tzinfo=UTC), reason="lost laptop"),
)

SAMPLES: Mapping[tuple[str, int], Event] = MappingProxyType({(e.event_type, e.schema_version): e for e in _SAMPLES})
"""(event_type, schema_version) → a valid sample payload."""


def sample_envelope(event: Event) -> Envelope:
    """A deterministic envelope around a sample event."""
    region = getattr(event, "county_code", None) or getattr(event, "region_code", None) or COUNTY
    when = datetime.combine(DAY, time(8, 0), tzinfo=UTC)
    return Envelope.wrap(
        event,
        producer=PRODUCER_OF[event.event_type],
        region=region,
        occurred_at=when,
        event_id=_id(f"{event.event_type}.v{event.schema_version}"),
        recorded_at=when,
    )
