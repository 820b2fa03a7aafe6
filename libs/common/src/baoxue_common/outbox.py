"""The outbox relay: publishes committed events in order, one active relay per service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from opentelemetry import context, propagate, trace
from sqlalchemy.ext.asyncio import AsyncEngine

from baoxue_common.kafka import encode_headers
from baoxue_common.metrics import PlumbingMetrics
from baoxue_common.tables import CommonTables

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


def relay_lock_key(schema: str) -> int:
    """The advisory-lock key that lets only one relay of a schema publish at a time."""
    return zlib.crc32(f"baoxue-outbox:{schema}".encode())


class OutboxRelay:
    """Moves outbox rows to Kafka: read in id order under a lock, send with acks=all, then mark published."""

    def __init__(
        self,
        engine: AsyncEngine,
        tables: CommonTables,
        producer: AIOKafkaProducer,
        *,
        schema: str,
        batch_size: int = 500,
        idle_poll_s: float = 0.2,
        inject_trace_headers: bool = True,
        prepare: Callable[[], Awaitable[object]] | None = None,
        metrics: PlumbingMetrics | None = None,
    ) -> None:
        self._engine = engine
        self._outbox = tables.outbox
        self._producer = producer
        self._lock_key = relay_lock_key(schema)
        self._batch_size = batch_size
        self._idle_poll_s = idle_poll_s
        self._inject = inject_trace_headers
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._recovering = False
        self._prepare = prepare
        self.metrics = metrics or PlumbingMetrics()
        self.published = 0

    def wake(self) -> None:
        """Tell the relay that new rows were committed."""
        self._wake.set()

    @property
    def stopping(self) -> bool:
        """Whether stop() was called."""
        return self._stopping.is_set()

    def stop(self) -> None:
        """Ask the loop to end after the batch in hand."""
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Publish until stopped, backing off while the broker or database is unreachable."""
        backoff = 0.1
        while not self._stopping.is_set():
            try:
                sent = await self.publish_batch()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._recovering = True
                log.warning("outbox relay: publish failed, retrying in %.1fs: %r", backoff, exc)
                await self._sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if sent < self._batch_size:
                await self._sleep(self._idle_poll_s)

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    async def publish_batch(self) -> int:
        """Publish one batch of unpublished rows; return how many were published (0 if another relay holds the lock)."""
        if self._recovering:
            await self._refresh_metadata()
        o = self._outbox
        async with self._engine.begin() as conn:
            locked = await conn.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(self._lock_key)))
            if not locked:
                return 0
            rows = (
                await conn.execute(
                    sa.select(o.c.id, o.c.topic, o.c.key, o.c.value, o.c.headers)
                    .where(o.c.published_at.is_(None))
                    .order_by(o.c.id)
                    .limit(self._batch_size)
                )
            ).all()
            if not rows:
                return 0
            futures = [await self._send(row) for row in rows]
            await asyncio.gather(*futures)
            await conn.execute(sa.update(o).where(o.c.id.in_([r.id for r in rows])).values(published_at=sa.func.now()))
        self.published += len(rows)
        self.metrics.published(len(rows))
        return len(rows)

    async def _refresh_metadata(self) -> None:
        """After a failure, make sure the topics exist (a broker may come back empty) and re-read the cluster."""
        if self._prepare is not None:
            await self._prepare()
        if not await self._producer.client.force_metadata_update():
            raise ConnectionError("the broker did not answer a metadata request")
        self._recovering = False

    async def _send(self, row: Any) -> asyncio.Future[Any]:
        stored: dict[str, str] = dict(row.headers or {})
        token = context.attach(propagate.extract(stored))
        try:
            with tracer.start_as_current_span(f"{row.topic} outbox", kind=trace.SpanKind.INTERNAL):
                headers = {k: v for k, v in stored.items() if k not in ("traceparent", "tracestate")}
                if self._inject:
                    propagate.inject(headers)
                future: asyncio.Future[Any] = await self._producer.send(
                    row.topic, value=row.value, key=row.key.encode(), headers=encode_headers(headers)
                )
                return future
        finally:
            context.detach(token)
