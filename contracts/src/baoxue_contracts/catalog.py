"""The catalog of events: (event_type, schema_version) → payload class, and the contract errors."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from baoxue_contracts import topics
from baoxue_contracts.base import Event
from baoxue_contracts.events import attendance, auth, ledger, reporting, verification

_BY_PRODUCER: tuple[tuple[str, tuple[type[Event], ...]], ...] = tuple(
    (module.PRODUCER, module.EVENTS) for module in (attendance, verification, ledger, reporting, auth)
)

ALL_EVENTS: tuple[type[Event], ...] = tuple(cls for _, classes in _BY_PRODUCER for cls in classes)
"""Every event class of the catalog, in catalog order."""


def _build() -> Mapping[tuple[str, int], type[Event]]:
    catalog: dict[tuple[str, int], type[Event]] = {}
    for cls in ALL_EVENTS:
        key = (cls.event_type, cls.schema_version)
        if key in catalog:
            raise RuntimeError(f"duplicate event in the catalog: {key}")
        catalog[key] = cls
    return MappingProxyType(catalog)


CATALOG: Mapping[tuple[str, int], type[Event]] = _build()
"""(event_type, schema_version) → payload class."""

PRODUCER_OF: Mapping[str, str] = MappingProxyType(
    {cls.event_type: producer for producer, classes in _BY_PRODUCER for cls in classes}
)
"""event_type → the name of the service that publishes it."""

_VERSIONS: Mapping[str, tuple[int, ...]] = MappingProxyType(
    {name: tuple(sorted(v for (n, v) in CATALOG if n == name)) for name in {n for (n, _) in CATALOG}}
)


def topics_of(cls: type[Event]) -> tuple[str, ...]:
    """The topics an event class is published to (RegionStatsUpdated: one per tier)."""
    if issubclass(cls, reporting.RegionStatsUpdated):
        return tuple(topics.STATS_BY_TIER.values())
    return (cls.topic,)


class ContractViolation(ValueError):
    """A message breaks the event contract; `reason` says how (it goes to the dead-letter topic)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MalformedMessage(ContractViolation):
    """Not JSON, not a valid envelope, or a payload invalid for its declared type."""


class UnknownEventType(ContractViolation):
    """The event_type is not in the catalog at any version."""


class UnknownSchemaVersion(ContractViolation):
    """The event_type is known, but not at that schema_version."""


def event_class(event_type: str, schema_version: int) -> type[Event]:
    """The payload class for an event type and version; raise UnknownEventType/UnknownSchemaVersion."""
    cls = CATALOG.get((event_type, schema_version))
    if cls is not None:
        return cls
    known = _VERSIONS.get(event_type)
    if known is None:
        raise UnknownEventType(f"unknown event_type {event_type!r}")
    listed = ", ".join(str(v) for v in known)
    raise UnknownSchemaVersion(f"unknown schema_version {schema_version} for {event_type} (known: {listed})")
