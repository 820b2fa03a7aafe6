"""The plumbing one service process runs: engine, outbox relay, consumer, authenticator."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine

from baoxue_common.auth import Authenticator, SchoolCounty
from baoxue_common.clock import Clock
from baoxue_common.consumer import Batched, EventConsumer, EventHandlers, Handler
from baoxue_common.db import make_engine, make_sessionmaker, ping
from baoxue_common.errors import Unavailable
from baoxue_common.kafka import ensure_topics, make_consumer, make_producer
from baoxue_common.metrics import PlumbingMetrics
from baoxue_common.outbox import OutboxRelay
from baoxue_common.retention import Retention
from baoxue_common.revocations import RevocationReader
from baoxue_common.services import ServiceSpec
from baoxue_common.settings import Settings
from baoxue_common.supervision import Stoppable, supervise
from baoxue_common.tables import CommonTables
from baoxue_common.telemetry import Telemetry, kafka_is_instrumented
from baoxue_common.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)
REVOCATIONS_WAIT_S = 10  # how long a request waits at start-up for the revocations before a 503
CLIENT_STOP_S = 10  # with the broker gone, a group consumer's stop (leaving the group) would never end


async def _no_school(_: str) -> str | None:
    return None


class ServiceRuntime:
    """Everything a service's routes and handlers share; started and stopped by the app's lifespan."""

    def __init__(
        self,
        spec: ServiceSpec,
        settings: Settings,
        tables: CommonTables,
        handlers: EventHandlers,
        *,
        database_url: str,
        telemetry: Telemetry | None = None,
        school_county: SchoolCounty = _no_school,
    ) -> None:
        self.spec = spec
        self.settings = settings
        self.tables = tables
        self.engine: AsyncEngine = make_engine(database_url, application_name=spec.name)
        if telemetry is not None:
            telemetry.instrument_engine(self.engine)
        self.producer: AIOKafkaProducer = make_producer(settings, client_id=spec.name)
        self.metrics = PlumbingMetrics()
        self.relay = OutboxRelay(
            self.engine,
            tables,
            self.producer,
            schema=spec.schema,
            batch_size=settings.relay_batch_size,
            idle_poll_s=settings.relay_idle_poll_ms / 1000,
            inject_trace_headers=not kafka_is_instrumented(),
            prepare=lambda: ensure_topics(settings),
            metrics=self.metrics,
        )
        self.retention = Retention(
            self.engine,
            tables,
            max_age=timedelta(days=settings.retention_days),
            interval_s=settings.retention_interval_s,
            batch_size=settings.retention_batch_size,
            metrics=self.metrics,
        )
        self.uow = UnitOfWorkFactory(
            make_sessionmaker(self.engine), tables, producer=spec.name, on_commit=self.relay.wake
        )
        all_handlers: dict[Any, list[Handler | Batched]] = {cls: list(hs) for cls, hs in handlers.items()}
        self._kafka_consumer: AIOKafkaConsumer = make_consumer(
            settings, {cls.topic for cls in all_handlers}, group_id=spec.name, client_id=spec.name
        )
        self._has_handlers = bool(all_handlers)  # attendance-ingest consumes nothing yet
        self.consumer = EventConsumer(
            self._kafka_consumer,
            self.producer,
            self.uow,
            all_handlers,
            group_id=spec.name,
            max_attempts=settings.consumer_max_attempts,
            metrics=self.metrics,
        )
        self.revocations = RevocationReader(settings, self.engine, tables.revoked_tokens, client_id=spec.name)
        self.authenticator = Authenticator(settings.token_secret, self._is_revoked)
        self.school_county = school_county
        self.pii = settings.pii_cipher()  # seals resident ID numbers (SM4-GCM); see pii.py
        self.clock = Clock(settings.zone)  # the platform's local dates; tests replace it to fix the instant
        self._tasks: list[asyncio.Task[None]] = []
        self._loops: list[tuple[Stoppable, Callable[[], Coroutine[Any, Any, None]]]] = []
        self.producer_started = asyncio.Event()
        self.consumer_started = asyncio.Event()

    def add_loop(self, loop: Stoppable, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Have start() run a service's own background loop (supervised) and stop() stop it."""
        self._loops.append((loop, run))

    async def start(self) -> None:
        """Start the relay and consumer in the background; they connect (and reconnect) on their own."""
        self._tasks = [
            asyncio.create_task(self._supervise(self.relay, self._run_relay), name=f"{self.spec.name}-relay"),
            asyncio.create_task(
                self._supervise(self.revocations, self.revocations.run), name=f"{self.spec.name}-revocations"
            ),
            asyncio.create_task(self.retention.run(), name=f"{self.spec.name}-retention"),
        ]
        for loop, run in self._loops:
            name = f"{self.spec.name}-{type(loop).__name__}"
            self._tasks.append(asyncio.create_task(self._supervise(loop, run), name=name))
        if self._has_handlers:
            self._tasks.append(
                asyncio.create_task(
                    self._supervise(self.consumer, self._run_consumer), name=f"{self.spec.name}-consumer"
                )
            )

    async def stop(self) -> None:
        """Finish the batch in hand, commit it, leave the group, flush the producer, close the pool."""
        self.consumer.stop()
        self.relay.stop()
        self.retention.stop()
        self.revocations.stop()
        for loop, _ in self._loops:
            loop.stop()
        _, pending = await asyncio.wait(self._tasks, timeout=20) if self._tasks else (set(), set())
        for task in pending:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.consumer_started.is_set():
            await _stop_client(self._kafka_consumer.stop(), "the group consumer")
        if self.producer_started.is_set():
            await _stop_client(self.producer.stop(), "the producer")
        await self.engine.dispose()

    async def ready(self) -> dict[str, str]:
        """Reachability of the database and the broker ('ok' or the reason)."""
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(ping(self.engine), timeout=3)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        try:
            if not self.producer_started.is_set():
                raise ConnectionError("not connected yet")
            ok = await asyncio.wait_for(self.producer.client.force_metadata_update(), timeout=3)
            checks["broker"] = "ok" if ok else "unreachable: metadata request failed"
        except Exception as exc:
            checks["broker"] = f"unreachable: {type(exc).__name__}"
        checks["revocations"] = "ok" if self.revocations.caught_up.is_set() else "still reading auth.v1"
        return checks

    async def _run_relay(self) -> None:
        if not self.producer_started.is_set():
            await self.producer.start()
            self.producer_started.set()
        await self.relay.run()

    async def _run_consumer(self) -> None:
        await self.producer_started.wait()  # dead letters go out through the producer
        if not self.consumer_started.is_set():
            await self._kafka_consumer.start()
            self.consumer_started.set()
        await self.consumer.run()

    async def _supervise(self, loop: Stoppable, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run a background loop; if it fails to connect or crashes, log, wait and start it again."""
        await supervise(type(loop).__name__, run, stopping=lambda: loop.stopping)

    async def _is_revoked(self, jti: str) -> bool:
        # Fail closed: no token is accepted before this process has read every revocation at start-up.
        if not self.revocations.caught_up.is_set():
            try:
                await asyncio.wait_for(self.revocations.caught_up.wait(), timeout=REVOCATIONS_WAIT_S)
            except TimeoutError:
                raise Unavailable("token revocations are still being read (auth.v1); try again shortly") from None
        revoked = self.tables.revoked_tokens
        async with self.engine.connect() as conn:
            found = await conn.scalar(sa.select(sa.literal(1)).where(revoked.c.jti == jti))
        return found is not None


ServiceFactory = Callable[[Settings, Telemetry | None], Awaitable[ServiceRuntime]]


async def _stop_client(stopping: Awaitable[None], what: str) -> None:
    """Stop a Kafka client within CLIENT_STOP_S, so shutdown goes on to close the database pool."""
    try:
        await asyncio.wait_for(stopping, CLIENT_STOP_S)
    except (Exception, asyncio.CancelledError) as exc:  # aiokafka can let a CancelledError out of stop()
        log.warning("%s did not stop cleanly: %r", what, exc)
