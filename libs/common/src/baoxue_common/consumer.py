"""The event consumer: applies a poll in one transaction with its inbox marks, then commits its offsets."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from baoxue_contracts import ContractViolation, decode
from baoxue_contracts.topics import DEADLETTER
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_exponential, wait_random

from baoxue_common.db import is_unavailable
from baoxue_common.dispatch import Batched, BatchHandler, Delivery, Dispatcher, EventHandlers, Handler, batched
from baoxue_common.metrics import PlumbingMetrics
from baoxue_common.supervision import Stoppable
from baoxue_common.uow import UnitOfWorkFactory

__all__ = [
    "BatchHandler",
    "Batched",
    "Delivery",
    "EventConsumer",
    "EventHandlers",
    "Handler",
    "batched",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

Poll = Mapping[TopicPartition, Sequence[ConsumerRecord[bytes, bytes]]]

# How long a dead letter or an offset commit in flight may still take once stop() is called.
STOP_GRACE_S = 3.0
# A poll still being applied after this long (a database outage) is waited for with the partitions paused.
PAUSE_AFTER_S = 1.0
PACE_LOG_S = 10.0


class Abandoned(Exception):
    """Broker work given up because the consumer is stopping; the poll's offsets stay uncommitted."""


class StoppedDuringOutage(BaseException):
    """A signal like CancelledError: stop() came during a database outage; leave, committing nothing more."""


class EventConsumer(Stoppable):
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
        super().__init__()
        self._consumer = consumer
        self._producer = producer
        self._uow = uow_factory
        self._dispatcher = Dispatcher(handlers, group_id=group_id)
        self._group_id = group_id
        self._max_attempts = max_attempts
        self._poll_timeout_ms = poll_timeout_ms
        self._owned: frozenset[TopicPartition] = frozenset()
        self._paused: set[TopicPartition] = set()
        self.metrics = metrics or PlumbingMetrics()
        self.applied = 0
        self.dead_lettered = 0
        self._pace = _Pace()

    def stop(self) -> None:
        """Finish the batch in hand, commit it, then leave the loop (broker work in flight gets a grace period)."""
        self._stopping.set()

    async def run(self) -> None:
        """Poll, apply and commit until stopped; the next poll is fetched and decoded while one is applied."""
        applying: asyncio.Task[None] | None = None
        try:
            while not self._stopping.is_set():
                batch = await self._consumer.getmany(timeout_ms=self._poll_timeout_ms)
                await self._observe_lag()
                if not batch:
                    if applying is not None and not applying.done():
                        await self._wait_polling(applying)  # nothing new: wait for it (paused, if it takes long)
                    continue
                deliveries = await self._decode(batch)
                if applying is not None:
                    await self._wait_polling(applying)  # polls are applied one after the other: order per key holds
                applying = asyncio.create_task(self._apply_and_commit(batch, deliveries))
        except BaseException:
            if applying is not None:
                applying.cancel()
            raise
        if applying is not None:
            await applying

    async def process(self, batch: Poll) -> None:
        """Apply one polled batch and commit its offsets once the effects are durable."""
        await self._apply_and_commit(batch, await self._decode(batch))

    async def _decode(self, batch: Poll) -> list[Delivery] | None:
        """The records some handler wants, decoded; malformed ones are dead-lettered. None if stopped meanwhile."""
        deliveries: list[Delivery] = []
        try:
            for records in batch.values():
                for record in records:
                    try:
                        envelope, event = decode(record.value or b"")
                    except ContractViolation as exc:
                        await self._dead_letter(record, exc.reason)
                        continue
                    if self._dispatcher.handles(envelope.event_type):
                        deliveries.append(Delivery(record, envelope, event))
        except Abandoned as exc:
            log.warning("stopping: %s; the poll's offsets are not committed, so it will be redelivered", exc)
            return None
        return deliveries

    async def _apply_and_commit(self, batch: Poll, deliveries: list[Delivery] | None) -> None:
        if deliveries is None:
            return
        began = time.monotonic()
        try:
            if deliveries:
                await self._apply(deliveries)
            applied = time.monotonic()
            await self._commit({tp: records[-1].offset + 1 for tp, records in batch.items() if records})
            self._pace.note(len(deliveries), applied - began, time.monotonic() - applied, self._group_id)
        except Abandoned as exc:
            log.warning("stopping: %s; the poll's offsets are not committed, so it will be redelivered", exc)
        except StoppedDuringOutage:
            log.warning("stopped while the database was unreachable; the uncommitted poll will be redelivered")

    async def _wait_polling(self, applying: asyncio.Task[None]) -> None:
        """Wait for the poll being applied; while it takes long, keep polling with every partition paused.

        Polling keeps the group membership (aiokafka enforces `max_poll_interval_ms`) through a long database
        outage without taking new records; records of partitions assigned meanwhile are put back.
        """
        try:
            while not applying.done():
                done, _ = await asyncio.wait({applying}, timeout=PAUSE_AFTER_S)
                if not done:
                    await self._poll_paused()
        finally:
            if mine := self._paused & self._consumer.assignment():
                self._consumer.resume(*mine)
            self._paused.clear()
        await applying

    async def _poll_paused(self) -> None:
        assigned = self._consumer.assignment()
        self._consumer.pause(*assigned)
        self._paused |= assigned
        try:
            polled = await self._consumer.getmany(timeout_ms=self._poll_timeout_ms)
        except KafkaError as exc:
            log.warning("polling while a poll is being applied failed: %r", exc)
            return
        for tp, records in polled.items():  # assigned by a rebalance after the pause: fetch them again later
            self._consumer.pause(tp)
            self._paused.add(tp)
            self._consumer.seek(tp, records[0].offset)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        """Commit the offsets of the partitions still owned; a revoked one goes to its new owner uncommitted."""
        owned = self._consumer.assignment()
        mine = {tp: offset for tp, offset in offsets.items() if tp in owned}
        if len(mine) < len(offsets):
            revoked = sorted(offsets.keys() - owned)
            log.info("partitions revoked during the batch, their records will be redelivered: %s", revoked)
        if not mine:
            return
        try:
            await self._until_stopped(self._consumer.commit(mine), "committing offsets")
        except (CommitFailedError, IllegalStateError) as exc:  # a rebalance under way: the inbox absorbs redelivery
            log.warning("offset commit failed after a rebalance; records will be redelivered: %r", exc)

    async def _observe_lag(self) -> None:
        """Report each owned partition's lag (high watermark minus position); forget partitions no longer owned."""
        owned = frozenset(self._consumer.assignment())
        if owned != self._owned:
            self._owned = owned
            self.metrics.forget_partitions({(tp.topic, tp.partition) for tp in owned})
        # A high watermark is known once a fetch response arrived, so the position is valid too.
        highwaters = [(tp, hw) for tp in owned if (hw := self._consumer.highwater(tp)) is not None]
        try:
            for tp, highwater in highwaters:
                self.metrics.set_lag(tp.topic, tp.partition, highwater - await self._consumer.position(tp))
        except IllegalStateError:  # revoked meanwhile: forgotten after the next poll
            return

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
            claimed = await uow.claim([_source(d) for d in deliveries])
            fresh: list[Delivery] = []
            for delivery in deliveries:
                if delivery.envelope.event_id in claimed:
                    claimed.discard(delivery.envelope.event_id)  # a duplicate inside the poll is applied once
                    fresh.append(delivery)
            await self._dispatcher.apply(fresh, uow)
            await uow.commit()
        self.applied += len(deliveries)
        for topic, count in Counter(d.record.topic for d in deliveries).items():
            self.metrics.applied(topic, count)

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

    async def _with_database_retry(self, attempt: Callable[[], Awaitable[None]]) -> None:
        """Retry while the database is unreachable (never dead-letter for that); other errors surface.

        stop() during an outage raises StoppedDuringOutage: nothing more is applied or committed.
        """
        async for retry in AsyncRetrying(
            retry=retry_if_exception(is_unavailable),
            wait=wait_exponential(multiplier=0.1, max=5) + wait_random(0, 0.2),
            sleep=self._sleep_unless_stopped,
            before_sleep=_log_outage,
            reraise=True,
        ):
            with retry:
                if self._stopping.is_set() and retry.retry_state.attempt_number > 1:
                    raise StoppedDuringOutage
                await attempt()

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
            "dead-lettering %s[%d]@%d: %s",
            record.topic,
            record.partition,
            record.offset,
            reason,
            extra={"topic": record.topic, "offset": record.offset},
        )

        async def send() -> None:
            async for retry in AsyncRetrying(
                retry=retry_if_exception(lambda e: isinstance(e, KafkaError)),
                wait=wait_exponential(multiplier=0.2, max=5),
                reraise=True,
            ):
                with retry:
                    await self._producer.send_and_wait(DEADLETTER, value=record.value, key=record.key, headers=headers)

        await self._until_stopped(send(), f"dead-lettering {record.topic}[{record.partition}]@{record.offset}")
        self.dead_lettered += 1
        self.metrics.dead_lettered(record.topic)

    async def _until_stopped(self, work: Coroutine[Any, Any, T], what: str) -> T:
        """Await broker work; once stop() is called give it STOP_GRACE_S more, then cancel it and raise Abandoned."""
        task = asyncio.ensure_future(work)
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                await asyncio.wait({task}, timeout=STOP_GRACE_S)
        finally:
            stopping.cancel()
            if not task.done():  # the grace ran out, or this coroutine itself is being cancelled
                task.cancel()
                await asyncio.wait({task})
        if task.cancelled():
            raise Abandoned(f"{what} did not finish within {STOP_GRACE_S:.0f}s of stop()")
        return task.result()


class _Pace:
    """How the polls went lately, logged every PACE_LOG_S while records flow (is the consumer keeping up?)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.since = time.monotonic()
        self.polls = self.records = 0
        self.apply_s = self.commit_s = 0.0

    def note(self, records: int, apply_s: float, commit_s: float, group: str) -> None:
        self.polls += 1
        self.records += records
        self.apply_s += apply_s
        self.commit_s += commit_s
        elapsed = time.monotonic() - self.since
        if elapsed < PACE_LOG_S:
            return
        if self.records:
            log.info(
                "%s: %d records in %d polls over %.0f s; applying %.0f %% of the time, committing offsets %.0f %%",
                group,
                self.records,
                self.polls,
                elapsed,
                100 * self.apply_s / elapsed,
                100 * self.commit_s / elapsed,
            )
        self.reset()


def _log_outage(state: RetryCallState) -> None:
    wait = state.next_action.sleep if state.next_action else 0.0
    error = state.outcome.exception() if state.outcome else None
    log.warning("database unreachable (attempt %d); retrying in %.1fs: %r", state.attempt_number, wait, error)


def _source(delivery: Delivery) -> tuple[Any, str, int, int]:
    r = delivery.record
    return delivery.envelope, r.topic, r.partition, r.offset
