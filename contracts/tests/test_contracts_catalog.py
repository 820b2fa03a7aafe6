"""The catalog: every event of EVENTS.md, well-formed, on a known topic, with a sample."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import baoxue_contracts
import pytest
from baoxue_contracts import CATALOG, CaseEscalated, RegionStatsUpdated, event_class
from baoxue_contracts.catalog import ALL_EVENTS, PRODUCER_OF, UnknownEventType, UnknownSchemaVersion, topics_of
from baoxue_contracts.samples import SAMPLES
from baoxue_contracts.topics import STATS_BY_TIER, TOPICS, TOPICS_BY_NAME
from pydantic import ValidationError

EVENTS_MD = [
    "SchoolRegistered",
    "CalendarPublished",
    "StudentEnrolled",
    "StudentUpdated",
    "StudentLeft",
    "TransferRequested",
    "TransferCompleted",
    "AbsenceRecorded",
    "PresenceRecorded",
    "AttendanceSubmitted",
    "RulesPublished",
    "EarlyWarningRaised",
    "SuspectedDropoutFlagged",
    "VerificationAssigned",
    "VerificationOverdue",
    "ReviewRaised",
    "DropoutConfirmed",
    "SuspicionCleared",
    "PersuasionAttemptRecorded",
    "CaseEscalated",
    "ReturnConfirmed",
    "CaseClosed",
    "CaseReopened",
    "CaseCauseRecorded",
    "CaseClosureProposed",
    "CaseClosureRejected",
    "CaseTransferRequested",
    "CaseTransferAccepted",
    "CaseTransferRejected",
    "LedgerEntryChanged",
    "RegionStatsUpdated",
]

REQUIRED_FIELDS = {
    "SchoolRegistered": "school_code name county_code kind",
    "StudentEnrolled": "student_id school_code name gender birth_date grade class_name hukou_county_code "
    "residence_county_code groups poverty_household national_id_hash",
    "AbsenceRecorded": "student_id school_code date status reason correction batch_id",
    "PresenceRecorded": "student_id school_code date status correction batch_id",
    "AttendanceSubmitted": "school_code date batch_id counts total",
    "SuspectedDropoutFlagged": "suspicion_id source county_code school_code student_id flagged_on reason "
    "consecutive_unexcused_days groups",
    "LedgerEntryChanged": "ledger entry_id change county_code school_code student_id status previous_status "
    "source groups poverty_household changed_on",
    "RegionStatsUpdated": "region_code tier period figures as_of",
    "TokenRevoked": "jti expires_at reason",
}


def test_catalog_holds_every_event_of_the_spec_plus_token_revoked() -> None:
    names = {event_type for event_type, _ in CATALOG}
    # HouseholdRegisterChanged extends the catalog: the school-age ledger is built from the household register.
    assert names == {*EVENTS_MD, "TokenRevoked", "HouseholdRegisterChanged"}
    assert len(CATALOG) == len(ALL_EVENTS) == len(set(ALL_EVENTS))


def test_every_catalog_entry_has_a_sample() -> None:
    assert set(SAMPLES) == set(CATALOG)
    for key, sample in SAMPLES.items():
        assert type(sample) is CATALOG[key]


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.__name__)
def test_event_classes_are_well_formed(cls: type[baoxue_contracts.Event]) -> None:
    assert cls.event_type == cls.__name__
    assert cls.schema_version == 1
    assert CATALOG[(cls.event_type, cls.schema_version)] is cls
    assert cls.model_config.get("frozen") is True
    assert cls.model_config.get("extra") == "forbid"
    doc = (cls.__doc__ or "").strip()
    assert doc and "\n" not in doc, "one-line docstring"
    assert all(topic in TOPICS_BY_NAME for topic in topics_of(cls))
    assert PRODUCER_OF[cls.event_type] in {"attendance-ingest", "verification", "ledger", "reporting", "baoxue-cli"}
    assert getattr(baoxue_contracts, cls.__name__) is cls


@pytest.mark.parametrize("name", sorted(REQUIRED_FIELDS))
def test_agreed_fields_exist(name: str) -> None:
    fields = set(CATALOG[(name, 1)].model_fields)
    assert set(REQUIRED_FIELDS[name].split()) <= fields


def test_event_class_lookup_and_errors() -> None:
    assert event_class("AbsenceRecorded", 1).__name__ == "AbsenceRecorded"
    with pytest.raises(UnknownEventType, match="unknown event_type 'Nope'"):
        event_class("Nope", 1)
    with pytest.raises(UnknownSchemaVersion) as info:
        event_class("AbsenceRecorded", 7)
    assert info.value.reason == "unknown schema_version 7 for AbsenceRecorded (known: 1)"


def test_topics() -> None:
    names = [spec.name for spec in TOPICS]
    assert len(names) == len(set(names))
    expected = {"reference.v1", "roster.v1", "attendance.v1", "rules.v1", "detection.v1", "verification.v1"}
    expected |= {"cases.v1", "ledger.v1", "auth.v1", "deadletter.v1", *STATS_BY_TIER.values()}
    assert set(names) == expected
    for spec in TOPICS:
        assert spec.partitions >= 1
        assert spec.compacted == (spec.name.startswith("stats.") or spec.name == "auth.v1")
    auth = TOPICS_BY_NAME["auth.v1"]
    assert auth.configs() == {"cleanup.policy": "compact", "retention.ms": "-1"}, "revocations are never expired"
    used = {topic for cls in ALL_EVENTS for topic in topics_of(cls)}
    assert used == expected - {"deadletter.v1"}


def test_stats_events_route_by_tier() -> None:
    sample = SAMPLES[("RegionStatsUpdated", 1)]
    assert isinstance(sample, RegionStatsUpdated)
    for tier, topic in STATS_BY_TIER.items():
        assert sample.model_copy(update={"tier": tier}).destination() == topic
    other = SAMPLES[("AbsenceRecorded", 1)]
    assert other.destination() == "attendance.v1"


def test_order_to_correct_needs_a_deadline() -> None:
    common = {"case_id": uuid4(), "county_code": "110101", "escalated_on": date(2026, 4, 1), "issued_by": "x"}
    CaseEscalated(level="criticism_education", **common)
    with pytest.raises(ValidationError, match="deadline"):
        CaseEscalated(level="order_to_correct", **common)


@pytest.mark.parametrize("student_id", ["G11010120150307001X", "L20150001", "G110101201503070012"])
def test_student_id_accepts(student_id: str) -> None:
    sample = SAMPLES[("AbsenceRecorded", 1)]
    assert sample.model_validate({**sample.model_dump(), "student_id": student_id})


@pytest.mark.parametrize("student_id", ["110101201503070012", "G1101", "X110101201503070012", "L", ""])
def test_student_id_rejects(student_id: str) -> None:
    sample = SAMPLES[("AbsenceRecorded", 1)]
    with pytest.raises(ValidationError):
        sample.model_validate({**sample.model_dump(), "student_id": student_id})
