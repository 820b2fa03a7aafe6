"""The outbox relay: publishes committed events in order, one active relay per service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    CorruptRecordException,
    InvalidTimestampError,
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
)
from opentelemetry import context, propagate, trace
from sqlalchemy.ext.asyncio import AsyncEngine

from baoxue_common.db import is_unavailable
from baoxue_common.kafka import encode_headers
from baoxue_common.metrics import PlumbingMetrics
from baoxue_common.supervision import Stoppable
from baoxue_common.tables import CommonTables

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

# Errors about the record itself: sending it again can never work, so the row is parked. Anything
# else (a broker down, a timeout, a missing topic, an ACL) is retried, however aiokafka classes it.
UNSENDABLE: tuple[type[Exception], ...] = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    CorruptRecordException,
    InvalidTimestampError,
    InvalidTopicError,
    UnicodeError,
)


def relay_lock_key(schema: str) -> int:
    """The advisory-lock key that lets only one relay of a schema publish at a time."""
    return zlib.crc32(f"baoxue-outbox:{schema}".encode())


class OutboxRelay(Stoppable):
    """Moves outbox rows to Kafka: read in id order under a lock, send with acks=all, then mark published.

    A row the broker can never take (too large, say) is parked with its reason and the rest go on;
    any other failure rolls the batch back and it is sent again after a back-off.
    """

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
        backlog_interval_s: float = 10.0,
    ) -> None:
        super().__init__()
        self._engine = engine
        self._outbox = tables.outbox
        self._producer = producer
        self._lock_key = relay_lock_key(schema)
        self._batch_size = batch_size
        self._idle_poll_s = idle_poll_s
        self._inject = inject_trace_headers
        self._wake = asyncio.Event()
        self._recovering = False
        self._prepare = prepare
        self.metrics = metrics or PlumbingMetrics()
        self.published = 0
        self.parked = 0
        self._backlog_interval_s = backlog_interval_s
        self._next_backlog = 0.0

    def wake(self) -> None:
        """Tell the relay that new rows were committed."""
        self._wake.set()

    def stop(self) -> None:
        """Ask the loop to end after the batch in hand."""
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Publish until stopped, backing off while the broker or database is unreachable."""
        backoff = 0.1
        while not self._stopping.is_set():
            await self._maybe_record_backlog()
            try:
                sent = await self.publish_batch()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # A database outage says nothing about the broker: no need to re-create topics after it.
                self._recovering = self._recovering or not is_unavailable(exc)
                log.warning("outbox relay: publish failed, retrying in %.1fs: %r", backoff, exc)
                await self._sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if sent < self._batch_size:
                await self._sleep(self._idle_poll_s)

    async def _maybe_record_backlog(self) -> None:
        """Measure the backlog when due, also while the broker is down (when it grows)."""
        if time.monotonic() < self._next_backlog:
            return
        try:
            await self.record_backlog()
        except Exception as exc:
            self._next_backlog = time.monotonic() + self._backlog_interval_s
            log.debug("outbox relay: could not measure the backlog: %r", exc)

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    async def publish_batch(self) -> int:
        """Publish one batch of pending rows; return how many were published or parked (0: none, or locked out)."""
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
                    .where(o.c.published_at.is_(None), o.c.parked_at.is_(None))
                    .order_by(o.c.id)
                    .limit(self._batch_size)
                )
            ).all()
            if not rows:
                return 0
            sent, parked = await self._send_all(rows)
            if sent:
                await conn.execute(sa.update(o).where(o.c.id.in_(sent)).values(published_at=sa.func.now()))
            for row_id, reason in parked.items():
                await conn.execute(
                    sa.update(o).where(o.c.id == row_id).values(parked_at=sa.func.now(), park_reason=reason)
                )
        for row in rows:
            if row.id in parked:
                log.error("outbox row %s (%s, key %s) parked: %s", row.id, row.topic, row.key, parked[row.id])
        self.published += len(sent)
        self.parked += len(parked)
        self.metrics.published(len(sent))
        if parked:
            self._next_backlog = 0.0  # show the parked rows now, not at the next interval
        return len(rows)

    async def _send_all(self, rows: Sequence[Any]) -> tuple[list[int], dict[int, str]]:
        """Send rows in id order; return the ids acknowledged and the reasons of those the broker can never take.

        A retriable failure raises (the caller's transaction rolls back, the batch is sent again). If the
        broker refuses a whole produce batch for good, its rows are sent again one at a time, so only
        the row it cannot take is parked.
        """
        parked: dict[int, str] = {}
        in_flight: list[tuple[Any, asyncio.Future[Any]]] = []
        for row in rows:
            try:
                in_flight.append((row, await self._send(row)))
            except UNSENDABLE as exc:
                parked[row.id] = _reason(exc)
        results = await asyncio.gather(*(future for _, future in in_flight), return_exceptions=True)
        sent: list[int] = []
        refused: list[Any] = []
        for (row, _), result in zip(in_flight, results, strict=True):
            if isinstance(result, UNSENDABLE):
                refused.append(row)
            elif isinstance(result, BaseException):
                raise result
            else:
                sent.append(row.id)
        for row in refused:
            try:
                await (await self._send(row))
                sent.append(row.id)
            except UNSENDABLE as exc:
                parked[row.id] = _reason(exc)
        return sent, parked

    async def record_backlog(self) -> tuple[int, float, int]:
        """Measure the rows waiting, the age of the oldest (s) and the parked rows; hand them to the metrics."""
        o = self._outbox
        pending = sa.and_(o.c.published_at.is_(None), o.c.parked_at.is_(None))
        oldest = sa.select(o.c.created_at).where(pending).order_by(o.c.id).limit(1).scalar_subquery()
        query = sa.select(
            sa.select(sa.func.count()).select_from(o).where(pending).scalar_subquery(),
            sa.func.coalesce(sa.extract("epoch", sa.func.clock_timestamp() - oldest), 0),
            sa.select(sa.func.count()).select_from(o).where(o.c.parked_at.is_not(None)).scalar_subquery(),
        )
        async with self._engine.connect() as conn:
            rows, age, parked = (await conn.execute(query)).one()
        self.metrics.set_backlog(int(rows), float(age), int(parked))
        self._next_backlog = time.monotonic() + self._backlog_interval_s
        return int(rows), float(age), int(parked)

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


def _reason(exc: BaseException) -> str:
    """Why a row was parked, short enough for a column and a log line."""
    text, name = str(exc), type(exc).__name__
    return (text if name in text else f"{name}: {text}")[:1000]
