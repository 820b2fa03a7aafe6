"""Handler registry of a consumer: per-event and batch handlers, run over a poll's fresh records in order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import ConsumerRecord
from baoxue_contracts import Envelope, Event
from opentelemetry import context, propagate, trace
from opentelemetry.util.types import AttributeValue

from baoxue_common.kafka import headers_dict
from baoxue_common.uow import UnitOfWork

tracer = trace.get_tracer(__name__)

Handler = Callable[[Any, Envelope, UnitOfWork], Awaitable[None]]
"""Applies one event (typed by its class) inside the poll's unit of work."""

BatchHandler = Callable[[Sequence[tuple[Any, Envelope]], UnitOfWork], Awaitable[None]]
"""Applies every fresh event of one type in a poll at once, ideally with one set-based statement per table."""

# The SDK keeps 128 links per span by default; extracting more contexts would be work thrown away.
MAX_LINKS = 128
# A run from this many traces or fewer is applied one call per trace, each continuing its trace.
MAX_TRACE_SPLITS = 8


@dataclass(frozen=True, slots=True)
class Batched:
    """Marks a batch handler in a registry (see `batched`)."""

    handler: BatchHandler

    @property
    def name(self) -> str:
        """The handler's name, for spans and logs."""
        return getattr(self.handler, "__qualname__", repr(self.handler))


def batched(handler: BatchHandler) -> Batched:
    """Register `handler` as a batch handler: `{AbsenceRecorded: [batched(absences_recorded)]}`.

    It receives the fresh (never applied) records of its event type from one poll, in partition order;
    records of one key keep their order, and a key may appear more than once (fold before an upsert).
    """
    return Batched(handler)


EventHandlers = Mapping[type[Event], Sequence[Handler | Batched]]
"""One registry per service: each event class with its handlers, run in the order given."""

Stage = Batched | tuple[Handler, ...]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One decoded record and where it came from."""

    record: ConsumerRecord[bytes, bytes]
    envelope: Envelope
    event: Event


class Dispatcher:
    """Runs the registered handlers over the fresh deliveries of a poll, in the poll's order."""

    def __init__(self, handlers: EventHandlers, *, group_id: str) -> None:
        self._stages = {cls.event_type: _stages(hs) for cls, hs in handlers.items()}
        self._group_id = group_id

    def handles(self, event_type: str) -> bool:
        """Whether any handler is registered for the event type."""
        return event_type in self._stages

    async def apply(self, fresh: Sequence[Delivery], uow: UnitOfWork) -> None:
        """Apply each run of same-typed deliveries: a batch handler once per run, per-event ones per record."""
        for run in _runs(fresh):
            for stage in self._stages[run[0].envelope.event_type]:
                if isinstance(stage, Batched):
                    for part in _by_trace(run):
                        with self._batch_span(stage, part):
                            await stage.handler([(d.event, d.envelope) for d in part], uow)
                    continue
                for delivery in run:
                    with self._record_span(delivery):
                        for handler in stage:
                            await handler(delivery.event, delivery.envelope, uow)

    def _attributes(self, record: ConsumerRecord[bytes, bytes], event_type: str) -> dict[str, AttributeValue]:
        return {
            "messaging.system": "kafka",
            "messaging.destination.name": record.topic,
            "messaging.consumer.group.name": self._group_id,
            "baoxue.event_type": event_type,
        }

    def _record_span(self, delivery: Delivery) -> Any:
        """A processing span continuing the producer's trace."""
        record = delivery.record
        attributes = self._attributes(record, delivery.envelope.event_type)
        attributes["messaging.message.id"] = str(delivery.envelope.event_id)
        return tracer.start_as_current_span(
            f"{record.topic} process",
            context=propagate.extract(headers_dict(record.headers)),
            kind=trace.SpanKind.CONSUMER,
            attributes=attributes,
        )

    def _batch_span(self, stage: Batched, run: Sequence[Delivery]) -> Any:
        """One span per batch call: records of one trace continue it; records of several, a new one linking them."""
        first = run[0]
        attributes = self._attributes(first.record, first.envelope.event_type)
        attributes["messaging.batch.message_count"] = len(run)
        attributes["code.function"] = stage.name
        name = f"{first.record.topic} process"
        traces = {_trace_id(d) for d in run}
        if len(run) == 1 or (len(traces) == 1 and None not in traces):
            if len(run) == 1:
                attributes["messaging.message.id"] = str(first.envelope.event_id)
            parent = propagate.extract(headers_dict(first.record.headers))
            kind = trace.SpanKind.CONSUMER
            return tracer.start_as_current_span(name, context=parent, kind=kind, attributes=attributes)
        span = tracer.start_span(name, context=context.Context(), kind=trace.SpanKind.CONSUMER, attributes=attributes)
        if span.is_recording():  # no extraction at all when nothing is traced
            for delivery in run[:MAX_LINKS]:
                linked = trace.get_current_span(propagate.extract(headers_dict(delivery.record.headers)))
                if linked.get_span_context().is_valid:
                    span.add_link(linked.get_span_context())
        return trace.use_span(span, end_on_exit=True)


def _trace_id(delivery: Delivery) -> bytes | None:
    """The trace id in a record's `traceparent` header (W3C: version-traceid-spanid-flags), if any."""
    for key, value in delivery.record.headers or ():
        if key == "traceparent" and len(value) >= 35:
            return bytes(value[3:35])
    return None


def _by_trace(run: Sequence[Delivery]) -> list[Sequence[Delivery]]:
    """A run cut where the trace changes, so each batch call continues its producers' trace.

    Records without a trace, or a run of one trace, stay one call; records of a key keep their order.
    A run of many traces (more than `MAX_TRACE_SPLITS`) stays one call linking them: batching comes first.
    """
    ids = [_trace_id(d) for d in run]
    if not 1 < len(set(ids)) <= MAX_TRACE_SPLITS:
        return [run]
    parts: list[Sequence[Delivery]] = []
    start = 0
    for i in range(1, len(run) + 1):
        if i == len(run) or ids[i] != ids[start]:
            parts.append(run[start:i])
            start = i
    return parts


def _stages(handlers: Sequence[Handler | Batched]) -> list[Stage]:
    """Consecutive per-event handlers form one stage (each record runs through all of them, as before)."""
    stages: list[Stage] = []
    for handler in handlers:
        if isinstance(handler, Batched):
            stages.append(handler)
        elif stages and isinstance(stages[-1], tuple):
            stages[-1] = (*stages[-1], handler)
        else:
            stages.append((handler,))
    return stages


def _runs(deliveries: Sequence[Delivery]) -> Iterator[Sequence[Delivery]]:
    """Maximal runs of one event type; the poll lists each partition in offset order, so order per key holds."""
    start = 0
    for i in range(1, len(deliveries) + 1):
        if i == len(deliveries) or deliveries[i].envelope.event_type != deliveries[start].envelope.event_type:
            yield deliveries[start:i]
            start = i
