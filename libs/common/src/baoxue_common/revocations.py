"""Token revocations: each process reads all of `auth.v1` at start-up into its `revoked_tokens`, then tails it.

No consumer group and no committed offsets: a replica started on a fresh database, or with a group
whose offset had moved past a revocation, still learns of every revocation the topic holds. The topic
is compacted and keyed by token id (jti), so it keeps one record per revoked token for as long as
needed, and reading it from the start stays cheap.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from baoxue_contracts import ContractViolation, decode
from baoxue_contracts.events.auth import TokenRevoked
from baoxue_contracts.topics import AUTH, TOPICS_BY_NAME
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from baoxue_common.kafka import ensure_topics
from baoxue_common.settings import Settings
from baoxue_common.supervision import Stoppable

log = logging.getLogger(__name__)


class RevocationReader(Stoppable):
    """Reads `auth.v1` from the beginning into the revoked-token table; `caught_up` is set once it has it all."""

    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        table: sa.Table,
        *,
        client_id: str,
        poll_timeout_ms: int = 300,
    ) -> None:
        super().__init__()
        self._settings = settings
        self._engine = engine
        self._table = table
        self._client_id = client_id
        self._poll_timeout_ms = poll_timeout_ms
        self.caught_up = asyncio.Event()
        self.stored = 0

    async def run(self) -> None:
        """Read every partition from its first offset, store, and keep tailing until stopped."""
        await ensure_topics(self._settings, [TOPICS_BY_NAME[AUTH]])
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            client_id=f"{self._client_id}-revocations",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            request_timeout_ms=self._settings.kafka_request_timeout_ms,
        )
        await consumer.start()
        try:
            partitions = await self._assign_all(consumer)
            while not self._stopping.is_set():
                batch = await consumer.getmany(*partitions, timeout_ms=self._poll_timeout_ms)
                await self.store([record for records in batch.values() for record in records])
                if not self.caught_up.is_set() and await _at_end(consumer, partitions):
                    log.info("revocations read: %d stored since start-up", self.stored)
                    self.caught_up.set()
        finally:
            await consumer.stop()

    async def store(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        """Record the revocations of tokens not yet expired (idempotent: a jti already there is left alone)."""
        now = datetime.now(UTC)
        rows: dict[str, datetime] = {}
        for record in records:
            if record.value is None:  # a tombstone: compaction may drop an expired revocation this way
                continue
            try:
                _, event = decode(record.value)
            except ContractViolation as exc:
                log.error("skipped %s[%d]@%d: %s", record.topic, record.partition, record.offset, exc.reason)
                continue
            if isinstance(event, TokenRevoked) and event.expires_at > now:
                rows[event.jti] = event.expires_at
        if rows:
            values = [{"jti": jti, "expires_at": expires_at} for jti, expires_at in rows.items()]
            async with self._engine.begin() as conn:
                await conn.execute(insert(self._table).values(values).on_conflict_do_nothing(index_elements=["jti"]))
            self.stored += len(rows)

    async def _assign_all(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        numbers = consumer.partitions_for_topic(AUTH)
        if not numbers:
            raise ConnectionError(f"no partitions of {AUTH} in the broker's metadata yet")  # retried by the runtime
        partitions = [TopicPartition(AUTH, n) for n in sorted(numbers)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        return partitions


async def _at_end(consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]) -> bool:
    """Whether every partition's position has reached its high watermark (known after the first fetch).

    The high watermark, not `end_offsets`, which some brokers (Tansu) answer wrongly.
    """
    for tp in partitions:
        highwater = consumer.highwater(tp)
        if highwater is None or await consumer.position(tp) < highwater:
            return False
    return True
