"""Kafka clients with safe defaults: acks from all replicas, compression, explicit commits, explicit topics."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from baoxue_contracts.topics import TOPICS, TopicSpec

from baoxue_common.settings import Settings

Headers = Sequence[tuple[str, bytes]]


log = logging.getLogger(__name__)


def make_producer(settings: Settings, *, client_id: str) -> AIOKafkaProducer:
    """A producer that waits for every in-sync replica and compresses; idempotence only where supported.

    A record above `max_request_size` is refused at `send()` (the relay parks it); keep the setting at
    or below the broker's `message.max.bytes` so the broker never rejects a whole batch for one record.
    """
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=settings.kafka_idempotence,
        request_timeout_ms=settings.kafka_request_timeout_ms,
        compression_type=None if settings.kafka_compression == "none" else settings.kafka_compression,
        max_request_size=settings.kafka_max_request_size,
        linger_ms=5,
        max_batch_size=min(512 * 1024, settings.kafka_max_request_size),
    )


def make_consumer(settings: Settings, topics: Iterable[str], *, group_id: str, client_id: str) -> AIOKafkaConsumer:
    """A group consumer that never auto-commits and starts from the earliest offset it has not committed."""
    return AIOKafkaConsumer(
        *sorted(topics),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_uncommitted",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        request_timeout_ms=max(settings.kafka_request_timeout_ms, settings.kafka_session_timeout_ms + 5_000),
        max_poll_records=settings.consumer_max_records,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
    )


def new_topic(settings: Settings, spec: TopicSpec) -> NewTopic:
    """A topic as the settings want it: partitions (catalog default or override), replicas, min.insync."""
    configs = spec.configs() | {"min.insync.replicas": str(settings.kafka_min_insync_replicas)}
    partitions = settings.kafka_partitions.get(spec.name, spec.partitions)
    return NewTopic(spec.name, partitions, settings.kafka_replication_factor, topic_configs=configs)


async def ensure_topics(settings: Settings, topics: Sequence[TopicSpec] = TOPICS) -> list[str]:
    """Create the topics that do not exist yet (auto-creation is off in production); return those made.

    Existing topics are left as they are: partitions and configs are only set at creation.
    """
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers, request_timeout_ms=settings.kafka_request_timeout_ms
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t.name not in existing]
        created: list[str] = []
        for spec in missing:
            try:
                await admin.create_topics([new_topic(settings, spec)])
                created.append(spec.name)
            except TopicAlreadyExistsError:
                pass
        if created:
            log.info("created topics %s", ", ".join(created))
        return created
    finally:
        await admin.close()


def headers_dict(headers: Headers | None) -> dict[str, str]:
    """Kafka headers as text, for trace propagation (the last value of a repeated key wins)."""
    return {k: v.decode("utf-8", "replace") for k, v in (headers or ())}


def encode_headers(headers: Mapping[str, str]) -> list[tuple[str, bytes]]:
    """Text headers as Kafka header tuples."""
    return [(k, v.encode()) for k, v in headers.items()]


class RateLimitFilter(logging.Filter):
    """Let one record per logger and message template through per interval (a down broker floods logs)."""

    def __init__(self, prefix: str = "aiokafka", interval_s: float = 30.0) -> None:
        super().__init__()
        self.prefix = prefix
        self.interval_s = interval_s
        self._last: dict[tuple[str, str], float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.prefix):
            return True
        key = (record.name, str(record.msg))
        now = time.monotonic()
        if now - self._last.get(key, -self.interval_s) < self.interval_s:
            return False
        self._last[key] = now
        return True
