"""The handler registry: batch handlers take a run of records at once, per-event ones one by one, in order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, cast
from uuid import uuid4

import pytest
from aiokafka.structs import ConsumerRecord
from baoxue_common import dispatch
from baoxue_common.consumer import Delivery, EventHandlers, batched
from baoxue_common.dispatch import MAX_TRACE_SPLITS, Dispatcher
from baoxue_common.uow import UnitOfWork
from baoxue_contracts import AbsenceRecorded, Envelope, Event, PresenceRecorded
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

UOW = cast(UnitOfWork, object())


def delivery(event: Event, partition: int, offset: int, headers: Sequence[tuple[str, bytes]] = ()) -> Delivery:
    envelope = Envelope.wrap(event, producer="test", region="110101", occurred_at=datetime.now(UTC))
    record: ConsumerRecord[bytes, bytes] = ConsumerRecord(
        "attendance.v1", partition, offset, 0, 0, None, b"", None, 0, 0, tuple(headers)
    )
    return Delivery(record, envelope, event)


def absence(day: int) -> AbsenceRecorded:
    return AbsenceRecorded(**_fields(day), status="absent_unexcused")


def presence(day: int) -> PresenceRecorded:
    return PresenceRecorded(**_fields(day), status="present")


def _fields(day: int) -> dict[str, Any]:
    return {
        "school_code": "1101010001",
        "student_id": "G110101201001011234",
        "date": date(2026, 11, day),
        "batch_id": uuid4(),
    }


class Calls:
    """Records what each handler was given, in call order."""

    def __init__(self) -> None:
        self.log: list[tuple[str, list[int]]] = []

    def batch(self, name: str) -> Any:
        async def handle(batch: Sequence[tuple[Any, Envelope]], _: UnitOfWork) -> None:
            self.log.append((name, [event.date.day for event, _ in batch]))

        return batched(handle)

    def each(self, name: str) -> Any:
        async def handle(event: Any, _: Envelope, __: UnitOfWork) -> None:
            self.log.append((name, [event.date.day]))

        return handle


async def test_a_batch_handler_takes_every_record_of_its_type_in_one_call_across_partitions() -> None:
    calls = Calls()
    handlers: EventHandlers = {AbsenceRecorded: [calls.batch("absences")]}
    fresh = [delivery(absence(d), partition=d % 3, offset=d) for d in range(1, 10)]
    await Dispatcher(handlers, group_id="g").apply(fresh, UOW)
    assert calls.log == [("absences", list(range(1, 10)))]


async def test_per_event_handlers_run_record_by_record_each_record_through_all_of_them() -> None:
    calls = Calls()
    handlers: EventHandlers = {AbsenceRecorded: [calls.each("first"), calls.each("second")]}
    await Dispatcher(handlers, group_id="g").apply([delivery(absence(d), 0, d) for d in (1, 2)], UOW)
    assert calls.log == [("first", [1]), ("second", [1]), ("first", [2]), ("second", [2])]


async def test_interleaved_types_keep_the_order_of_the_partition() -> None:
    calls = Calls()
    handlers: EventHandlers = {AbsenceRecorded: [calls.batch("absences")], PresenceRecorded: [calls.each("present")]}
    fresh = [
        delivery(absence(1), 0, 0),
        delivery(absence(2), 0, 1),
        delivery(presence(3), 0, 2),
        delivery(absence(4), 0, 3),
        delivery(absence(5), 1, 0),
    ]
    await Dispatcher(handlers, group_id="g").apply(fresh, UOW)
    assert calls.log == [("absences", [1, 2]), ("present", [3]), ("absences", [4, 5])]


async def test_a_batch_and_a_per_event_handler_of_one_type_run_in_the_order_registered() -> None:
    calls = Calls()
    handlers: EventHandlers = {AbsenceRecorded: [calls.each("audit"), calls.batch("absences")]}
    await Dispatcher(handlers, group_id="g").apply([delivery(absence(d), 0, d) for d in (1, 2)], UOW)
    assert calls.log == [("audit", [1]), ("audit", [2]), ("absences", [1, 2])]


async def test_nothing_runs_for_an_empty_poll() -> None:
    calls = Calls()
    await Dispatcher({AbsenceRecorded: [calls.batch("absences")]}, group_id="g").apply([], UOW)
    assert calls.log == []


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(dispatch, "tracer", provider.get_tracer("test"))
    return exporter


def produced_under(tracer: trace.Tracer, name: str) -> tuple[trace.SpanContext, list[tuple[str, bytes]]]:
    """A producer span's context and the headers it would put on the record."""
    with tracer.start_as_current_span(name) as span:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
    return span.get_span_context(), [(k, v.encode()) for k, v in carrier.items()]


async def test_a_lone_record_continues_its_trace_and_a_batch_links_to_each_record(spans: InMemorySpanExporter) -> None:
    producer = TracerProvider().get_tracer("producer")
    contexts, records = [], []
    for day in range(1, MAX_TRACE_SPLITS + 2):
        ctx, headers = produced_under(producer, f"send {day}")
        contexts.append(ctx)
        records.append(delivery(absence(day), 0, day, headers))
    dispatcher = Dispatcher({AbsenceRecorded: [batched(_noop)]}, group_id="g")
    await dispatcher.apply(records[:1], UOW)
    await dispatcher.apply(records, UOW)
    lone, batch = spans.get_finished_spans()
    assert lone.context.trace_id == contexts[0].trace_id
    assert lone.parent is not None and lone.parent.span_id == contexts[0].span_id
    assert lone.kind is trace.SpanKind.CONSUMER
    assert {(link.context.trace_id, link.context.span_id) for link in batch.links} == {
        (c.trace_id, c.span_id) for c in contexts
    }
    assert batch.attributes is not None and batch.attributes["messaging.batch.message_count"] == len(records)


async def test_a_run_from_a_few_traces_is_applied_once_per_trace_each_continuing_it(
    spans: InMemorySpanExporter,
) -> None:
    producer = TracerProvider().get_tracer("producer")
    first, first_headers = produced_under(producer, "send 1")
    second, second_headers = produced_under(producer, "send 2")
    records = [
        delivery(absence(1), 0, 1, first_headers),
        delivery(absence(2), 0, 2, first_headers),
        delivery(absence(3), 0, 3, second_headers),
    ]
    calls: list[int] = []

    async def count(items: Sequence[tuple[Any, Envelope]], _: UnitOfWork) -> None:
        calls.append(len(items))

    await Dispatcher({AbsenceRecorded: [batched(count)]}, group_id="g").apply(records, UOW)
    assert calls == [2, 1], "consecutive records of one trace stay one call, in order"
    one, two = spans.get_finished_spans()
    assert (one.context.trace_id, two.context.trace_id) == (first.trace_id, second.trace_id)
    assert one.parent is not None and one.parent.span_id == first.span_id


async def test_a_per_event_handler_runs_inside_a_span_continuing_the_producers_trace(
    spans: InMemorySpanExporter,
) -> None:
    ctx, headers = produced_under(TracerProvider().get_tracer("producer"), "send")
    seen: list[int] = []

    async def handle(_: Any, __: Envelope, ___: UnitOfWork) -> None:
        seen.append(trace.get_current_span().get_span_context().trace_id)

    await Dispatcher({AbsenceRecorded: [handle]}, group_id="g").apply([delivery(absence(1), 0, 1, headers)], UOW)
    (span,) = spans.get_finished_spans()
    assert seen == [ctx.trace_id] == [span.context.trace_id]


async def _noop(_: Sequence[tuple[Any, Envelope]], __: UnitOfWork) -> None:
    return None
