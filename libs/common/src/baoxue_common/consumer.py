"""The event consumer: applies a batch in one transaction with its inbox marks, then commits offsets."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from baoxue_contracts import ContractViolation, Envelope, Event, decode
from baoxue_contracts.topics import DEADLETTER
from opentelemetry import propagate, trace
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_exponential, wait_random

from baoxue_common.db import is_unavailable
from baoxue_common.kafka import headers_dict
from baoxue_common.metrics import PlumbingMetrics
from baoxue_common.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

Handler = Callable[[Any, Envelope, UnitOfWork], Awaitable[None]]
EventHandlers = Mapping[type[Event], Sequence[Handler]]


class StoppedDuringOutage(BaseException):
    """A signal like CancelledError: stop() came during a database outage; leave, committing nothing more."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One decoded record and where it came from."""

    record: ConsumerRecord[bytes, bytes]
    envelope: Envelope
    event: Event


class EventConsumer:
    """Consumes the topics its handlers need; every effect is applied exactly once through the inbox."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        uow_factory: UnitOfWorkFactory,
        handlers: EventHandlers,
        *,
        group_id: str,
        max_attempts: int = 3,
        poll_timeout_ms: int = 500,
        metrics: PlumbingMetrics | None = None,
    ) -> None:
        self._consumer = consumer
        self._producer = producer
        self._uow = uow_factory
        self._handlers = {cls.event_type: list(hs) for cls, hs in handlers.items()}
        self._group_id = group_id
        self._max_attempts = max_attempts
        self._poll_timeout_ms = poll_timeout_ms
        self._stopping = asyncio.Event()
        self._paused: set[TopicPartition] = set()
        self.metrics = metrics or PlumbingMetrics()
        self.applied = 0
        self.dead_lettered = 0

    @property
    def stopping(self) -> bool:
        """Whether stop() was called."""
        return self._stopping.is_set()

    def stop(self) -> None:
        """Finish the batch in hand, commit it, then leave the loop."""
        self._stopping.set()

    async def run(self) -> None:
        """Poll, apply and commit until stopped."""
        while not self._stopping.is_set():
            batch = await self._consumer.getmany(timeout_ms=self._poll_timeout_ms)
            if batch:
                try:
                    await self.process(batch)
                except StoppedDuringOutage:
                    log.warning("stopped while the database was unreachable; the uncommitted batch will be redelivered")
                    return

    async def process(self, batch: Mapping[TopicPartition, Sequence[ConsumerRecord[bytes, bytes]]]) -> None:
        """Apply one polled batch and commit its offsets once the effects are durable."""
        deliveries: list[Delivery] = []
        for records in batch.values():
            for record in records:
                try:
                    envelope, event = decode(record.value or b"")
                except ContractViolation as exc:
                    await self._dead_letter(record, exc.reason)
                    continue
                if envelope.event_type in self._handlers:
                    deliveries.append(Delivery(record, envelope, event))
        if deliveries:
            await self._apply(deliveries)
        offsets = {tp: records[-1].offset + 1 for tp, records in batch.items() if records}
        try:
            await self._consumer.commit(offsets)
        except CommitFailedError as exc:  # a rebalance took the partitions: the inbox absorbs the redelivery
            log.warning("offset commit failed after a rebalance; records will be redelivered: %s", exc)

    async def _apply(self, deliveries: Sequence[Delivery]) -> None:
        try:
            await self._with_database_retry(lambda: self._apply_together(deliveries))
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("batch of %d failed (%r); applying its records one by one", len(deliveries), exc)
        for delivery in deliveries:
            await self._apply_alone(delivery)

    async def _apply_together(self, deliveries: Sequence[Delivery]) -> None:
        async with self._uow() as uow:
            fresh = await uow.claim([_source(d) for d in deliveries])
            for delivery in deliveries:
                if delivery.envelope.event_id in fresh:
                    fresh.discard(delivery.envelope.event_id)
                    await self._handle(delivery, uow)
            await uow.commit()
            self.applied += len(deliveries)
            for delivery in deliveries:
                self.metrics.applied(delivery.record.topic)

    async def _apply_alone(self, delivery: Delivery) -> None:
        error: Exception | None = None
        for _attempt in range(self._max_attempts):
            try:
                await self._with_database_retry(lambda: self._apply_together([delivery]))
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = exc
                await asyncio.sleep(0.05)
        await self._dead_letter(delivery.record, f"handler failed {self._max_attempts} times: {error!r}")

    async def _handle(self, delivery: Delivery, uow: UnitOfWork) -> None:
        record = delivery.record
        parent = propagate.extract(headers_dict(record.headers))
        with tracer.start_as_current_span(
            f"{record.topic} process",
            context=parent,
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": record.topic,
                "messaging.consumer.group.name": self._group_id,
                "messaging.message.id": str(delivery.envelope.event_id),
                "baoxue.event_type": delivery.envelope.event_type,
            },
        ):
            for handler in self._handlers[delivery.envelope.event_type]:
                await handler(delivery.event, delivery.envelope, uow)

    async def _with_database_retry(self, attempt: Callable[[], Awaitable[None]]) -> None:
        """Retry while the database is unreachable (never dead-letter for that); other errors surface.

        Between attempts the partitions are paused and the consumer keeps polling, so a long outage neither takes
        new records nor exceeds `max_poll_interval_ms` (which would cost the group membership). stop() during an
        outage raises StoppedDuringOutage: nothing more is applied or committed.
        """
        try:
            async for retry in AsyncRetrying(
                retry=retry_if_exception(is_unavailable),
                wait=wait_exponential(multiplier=0.1, max=5) + wait_random(0, 0.2),
                sleep=self._poll_paused,
                before_sleep=_log_outage,
                reraise=True,
            ):
                with retry:
                    if self._stopping.is_set() and retry.retry_state.attempt_number > 1:
                        raise StoppedDuringOutage
                    await attempt()
        finally:
            self._resume_paused()

    async def _poll_paused(self, seconds: float) -> None:
        """The wait between attempts: poll with every assigned partition paused, so no record is taken meanwhile."""
        if self._stopping.is_set():
            return
        assigned = self._consumer.assignment()
        self._consumer.pause(*assigned)
        self._paused |= assigned
        try:
            polled = await self._consumer.getmany(timeout_ms=max(1, int(seconds * 1000)))
        except KafkaError as exc:
            log.warning("polling during a database outage failed: %r", exc)
            await asyncio.sleep(seconds)
            return
        for tp, records in polled.items():  # assigned by a rebalance after the pause: fetch them again later
            self._consumer.pause(tp)
            self._paused.add(tp)
            self._consumer.seek(tp, records[0].offset)

    def _resume_paused(self) -> None:
        if mine := self._paused & self._consumer.assignment():
            self._consumer.resume(*mine)
        self._paused.clear()

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        """Send the original bytes to the dead-letter topic with the reason; wait for the ack before moving on."""
        headers = [
            *(record.headers or ()),
            ("dlq-reason", reason.encode()),
            ("dlq-source-topic", record.topic.encode()),
            ("dlq-source-partition", str(record.partition).encode()),
            ("dlq-source-offset", str(record.offset).encode()),
            ("dlq-consumer-group", self._group_id.encode()),
        ]
        log.error(
            "dead-lettered %s[%d]@%d: %s",
            record.topic,
            record.partition,
            record.offset,
            reason,
            extra={"topic": record.topic, "offset": record.offset},
        )
        async for retry in AsyncRetrying(
            retry=retry_if_exception(lambda e: isinstance(e, KafkaError)),
            wait=wait_exponential(multiplier=0.2, max=5),
            reraise=True,
        ):
            with retry:
                await self._producer.send_and_wait(DEADLETTER, value=record.value, key=record.key, headers=headers)
        self.dead_lettered += 1
        self.metrics.dead_lettered(record.topic)


def _log_outage(state: RetryCallState) -> None:
    wait = state.next_action.sleep if state.next_action else 0.0
    error = state.outcome.exception() if state.outcome else None
    log.warning("database unreachable (attempt %d); retrying in %.1fs: %r", state.attempt_number, wait, error)


def _source(delivery: Delivery) -> tuple[Envelope, str, int, int]:
    r = delivery.record
    return delivery.envelope, r.topic, r.partition, r.offset
