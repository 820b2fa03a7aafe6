"""The Kafka topics of the platform: names, partitions, compaction and retention."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Tier = Literal["school", "county", "city", "province", "national"]


@dataclass(frozen=True)
class TopicSpec:
    """One topic: its name, default partition count, whether it is log-compacted, its retention (-1: forever)."""

    name: str
    partitions: int
    compacted: bool = False
    retention_ms: int | None = None

    def configs(self) -> dict[str, str]:
        """The topic-level configs it is created with (`retention.ms` absent: the broker's default)."""
        configs = {"cleanup.policy": "compact" if self.compacted else "delete"}
        if self.retention_ms is not None:
            configs["retention.ms"] = str(self.retention_ms)
        return configs


REFERENCE: Final = "reference.v1"
ROSTER: Final = "roster.v1"
ATTENDANCE: Final = "attendance.v1"
RULES: Final = "rules.v1"
DETECTION: Final = "detection.v1"
VERIFICATION: Final = "verification.v1"
CASES: Final = "cases.v1"
LEDGER: Final = "ledger.v1"
AUTH: Final = "auth.v1"
DEADLETTER: Final = "deadletter.v1"

STATS_BY_TIER: Final[dict[Tier, str]] = {
    "school": "stats.school.v1",
    "county": "stats.county.v1",
    "city": "stats.city.v1",
    "province": "stats.province.v1",
    "national": "stats.national.v1",
}

TOPICS: Final[tuple[TopicSpec, ...]] = (
    TopicSpec(REFERENCE, 4),
    TopicSpec(ROSTER, 8),
    TopicSpec(ATTENDANCE, 8),
    TopicSpec(RULES, 1),
    TopicSpec(DETECTION, 8),
    TopicSpec(VERIFICATION, 8),
    TopicSpec(CASES, 8),
    TopicSpec(LEDGER, 8),
    # Revocations keyed by token id, compacted and never expired: a replica started at any time
    # still learns every revocation of a token that may be alive (tokens live up to 10 years).
    TopicSpec(AUTH, 1, compacted=True, retention_ms=-1),
    TopicSpec(STATS_BY_TIER["school"], 8, compacted=True),
    TopicSpec(STATS_BY_TIER["county"], 8, compacted=True),
    TopicSpec(STATS_BY_TIER["city"], 4, compacted=True),
    TopicSpec(STATS_BY_TIER["province"], 2, compacted=True),
    TopicSpec(STATS_BY_TIER["national"], 1, compacted=True),
    TopicSpec(DEADLETTER, 4),
)

TOPICS_BY_NAME: Final[dict[str, TopicSpec]] = {spec.name: spec for spec in TOPICS}

# Kafka headers of a dead-lettered record (the value is the original bytes, unchanged).
DLQ_REASON: Final = "dlq-reason"
DLQ_SOURCE_TOPIC: Final = "dlq-source-topic"
DLQ_SOURCE_PARTITION: Final = "dlq-source-partition"
DLQ_SOURCE_OFFSET: Final = "dlq-source-offset"
DLQ_CONSUMER_GROUP: Final = "dlq-consumer-group"
DLQ_HEADERS: Final = (
    DLQ_REASON,
    DLQ_SOURCE_TOPIC,
    DLQ_SOURCE_PARTITION,
    DLQ_SOURCE_OFFSET,
    DLQ_CONSUMER_GROUP,
)

# W3C trace-context headers carried on every record.
TRACEPARENT: Final = "traceparent"
TRACESTATE: Final = "tracestate"


def stats_key(region_code: str, period: str) -> str:
    """Message key on the compacted stats topics: one record per region and period survives."""
    return f"{region_code}:{period}"
