"""Encoding and decoding every event, and every way a message can break the contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
import pytest
from baoxue_contracts import (
    CATALOG,
    AbsenceRecorded,
    ContractViolation,
    Envelope,
    Event,
    MalformedMessage,
    UnknownEventType,
    UnknownSchemaVersion,
    decode,
    encode,
)
from baoxue_contracts.samples import SAMPLES, sample_envelope
from pydantic import ValidationError

KEYS = sorted(CATALOG)


def _sample_message(event_type: str = "AbsenceRecorded") -> dict[str, Any]:
    envelope = sample_envelope(SAMPLES[(event_type, 1)])
    message: dict[str, Any] = orjson.loads(encode(envelope))
    return message


@pytest.mark.parametrize("key", KEYS, ids=[f"{t}.v{v}" for t, v in KEYS])
def test_every_event_round_trips(key: tuple[str, int]) -> None:
    event = SAMPLES[key]
    envelope = sample_envelope(event)
    raw = encode(envelope)
    decoded_envelope, decoded_event = decode(raw)
    assert decoded_envelope == envelope
    assert decoded_event == event
    assert type(decoded_event) is CATALOG[key]
    assert encode(decoded_envelope) == raw


def test_encoding_is_compact_json() -> None:
    raw = encode(sample_envelope(SAMPLES[("AbsenceRecorded", 1)]))
    assert b"\n" not in raw
    assert b'": ' not in raw
    assert orjson.loads(raw)["event_type"] == "AbsenceRecorded"


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"[1, 2]", b'{"event_id": "x"}', b"\xff\xfe", b'{"a": 1'],
    ids=["empty", "not-json", "array", "partial-envelope", "not-utf8", "truncated"],
)
def test_malformed_bytes_are_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedMessage) as info:
        decode(raw)
    assert info.value.reason


def test_unknown_schema_version_has_a_readable_reason() -> None:
    message = _sample_message()
    message["schema_version"] = 7
    with pytest.raises(UnknownSchemaVersion) as info:
        decode(orjson.dumps(message))
    assert info.value.reason == "unknown schema_version 7 for AbsenceRecorded (known: 1)"
    assert str(info.value) == info.value.reason


def test_unknown_event_type() -> None:
    message = _sample_message()
    message["event_type"] = "PupilAbducted"
    with pytest.raises(UnknownEventType) as info:
        decode(orjson.dumps(message))
    assert "PupilAbducted" in info.value.reason


def test_payload_with_an_unknown_field_is_malformed() -> None:
    message = _sample_message()
    message["payload"]["national_id"] = "110101201503070012"
    with pytest.raises(MalformedMessage) as info:
        decode(orjson.dumps(message))
    assert "payload.national_id" in info.value.reason
    assert "AbsenceRecorded v1" in info.value.reason


def test_payload_with_a_wrong_value_is_malformed() -> None:
    message = _sample_message()
    message["payload"]["date"] = "yesterday"
    message["payload"]["status"] = "present"
    with pytest.raises(MalformedMessage) as info:
        decode(orjson.dumps(message))
    assert "payload.date" in info.value.reason
    assert "payload.status" in info.value.reason


def test_payload_missing_a_field_is_malformed() -> None:
    message = _sample_message()
    del message["payload"]["batch_id"]
    with pytest.raises(MalformedMessage, match=r"payload\.batch_id: Field required"):
        decode(orjson.dumps(message))


def test_envelope_with_an_unknown_field_is_malformed() -> None:
    message = _sample_message()
    message["tenant"] = "x"
    with pytest.raises(MalformedMessage, match="invalid envelope: tenant"):
        decode(orjson.dumps(message))


@pytest.mark.parametrize(
    ("field", "value"),
    [("region", "1101"), ("school_code", "21110"), ("occurred_at", "2026-03-02T08:00:00"), ("event_id", "1")],
)
def test_envelope_field_checks(field: str, value: str) -> None:
    message = _sample_message()
    message[field] = value
    with pytest.raises(MalformedMessage, match=field):
        decode(orjson.dumps(message))


def test_envelope_is_frozen() -> None:
    envelope = sample_envelope(SAMPLES[("AbsenceRecorded", 1)])
    with pytest.raises(ValidationError):
        envelope.region = "110102"  # type: ignore[misc]


def test_events_are_frozen_and_forbid_extra_fields() -> None:
    event = SAMPLES[("AbsenceRecorded", 1)]
    assert isinstance(event, AbsenceRecorded)
    with pytest.raises(ValidationError):
        event.status = "absent_excused"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        AbsenceRecorded.model_validate({**event.model_dump(), "extra": 1})


def test_envelope_forbids_extra_fields_and_naive_times() -> None:
    data = sample_envelope(SAMPLES[("AbsenceRecorded", 1)]).model_dump()
    with pytest.raises(ValidationError):
        Envelope.model_validate({**data, "extra": 1})
    with pytest.raises(ValidationError):
        Envelope.model_validate({**data, "occurred_at": datetime(2026, 3, 2, 8)})


def test_wrap_fills_ids_times_and_subject() -> None:
    event = SAMPLES[("AbsenceRecorded", 1)]
    when = datetime(2026, 3, 2, tzinfo=UTC)
    first = Envelope.wrap(event, producer="attendance-ingest", region="110101", occurred_at=when)
    second = Envelope.wrap(event, producer="attendance-ingest", region="110101", occurred_at=when)
    assert isinstance(first.event_id, UUID)
    assert first.event_id != second.event_id
    assert first.recorded_at.tzinfo is not None
    assert abs(datetime.now(UTC) - first.recorded_at) < timedelta(minutes=1)
    assert (first.event_type, first.schema_version) == ("AbsenceRecorded", 1)
    assert first.school_code == "2111010001"
    assert first.subject_id == "G110101201503070012"
    assert first.payload == event.model_dump(mode="json")


def test_wrap_keeps_explicit_values() -> None:
    event = SAMPLES[("AbsenceRecorded", 1)]
    when = datetime(2026, 3, 2, tzinfo=UTC)
    event_id = UUID(int=1)
    envelope = Envelope.wrap(
        event,
        producer="p",
        region="110101",
        occurred_at=when,
        school_code="2111010009",
        subject_id="L123",
        event_id=event_id,
        recorded_at=when,
    )
    assert (envelope.event_id, envelope.recorded_at) == (event_id, when)
    assert (envelope.school_code, envelope.subject_id) == ("2111010009", "L123")


def test_encode_refuses_an_unknown_event_type() -> None:
    data = sample_envelope(SAMPLES[("AbsenceRecorded", 1)]).model_dump()
    with pytest.raises(UnknownEventType):
        encode(Envelope.model_validate({**data, "event_type": "Nope"}))


def test_contract_errors_are_value_errors_with_a_reason() -> None:
    for cls in (MalformedMessage, UnknownEventType, UnknownSchemaVersion):
        error = cls("why")
        assert isinstance(error, ContractViolation)
        assert isinstance(error, ValueError)
        assert error.reason == "why"


def test_decode_returns_the_base_type() -> None:
    _, event = decode(encode(sample_envelope(SAMPLES[("TokenRevoked", 1)])))
    assert isinstance(event, Event)
