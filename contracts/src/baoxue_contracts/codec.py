"""Bytes on the bus ⇄ (Envelope, Event): the one place messages are encoded and checked."""

from __future__ import annotations

import orjson
from pydantic import ValidationError

from baoxue_contracts.base import Event
from baoxue_contracts.catalog import MalformedMessage, event_class
from baoxue_contracts.envelope import Envelope

_MAX_ERRORS = 5


def summarise(error: ValidationError, prefix: str = "") -> str:
    """A one-line summary of a pydantic validation error: `loc: message; ...`."""
    parts = []
    errors = error.errors(include_url=False, include_input=False)
    for item in errors[:_MAX_ERRORS]:
        loc = ".".join(str(p) for p in item["loc"])
        where = f"{prefix}{loc}" if loc else prefix.rstrip(".")
        parts.append(f"{where}: {item['msg']}" if where else item["msg"])
    if len(errors) > _MAX_ERRORS:
        parts.append(f"(+{len(errors) - _MAX_ERRORS} more)")
    return "; ".join(parts)


def encode(envelope: Envelope) -> bytes:
    """Compact JSON bytes of an envelope; refuses an event type the catalog does not know."""
    event_class(envelope.event_type, envelope.schema_version)
    return orjson.dumps(envelope.model_dump())


def decode(raw: bytes) -> tuple[Envelope, Event]:
    """Parse and check a message; raise MalformedMessage, UnknownEventType or UnknownSchemaVersion."""
    if not raw:
        raise MalformedMessage("empty message")
    try:
        envelope = Envelope.model_validate_json(raw)
    except ValidationError as exc:
        raise MalformedMessage(f"invalid envelope: {summarise(exc)}") from exc
    cls = event_class(envelope.event_type, envelope.schema_version)
    if cls.event_type != envelope.event_type or cls.schema_version != envelope.schema_version:
        raise MalformedMessage(
            f"catalog maps {envelope.event_type} v{envelope.schema_version} to {cls.event_type} v{cls.schema_version}"
        )
    try:
        event = cls.model_validate(envelope.payload)
    except ValidationError as exc:
        raise MalformedMessage(
            f"invalid {envelope.event_type} v{envelope.schema_version} payload: {summarise(exc, 'payload.')}"
        ) from exc
    return envelope, event
