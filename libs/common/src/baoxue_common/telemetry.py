"""OpenTelemetry set-up per process: traces and metrics over OTLP, and the official instrumentations."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.instrumentation.utils import unwrap
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)


@dataclass
class Telemetry:
    """The providers this process installed; shut down to flush."""

    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    instrumented_engines: list[AsyncEngine] = field(default_factory=list)

    def instrument_engine(self, engine: AsyncEngine) -> None:
        """Trace SQL on the engine's sync core, once (a second call would double the spans)."""
        if engine in self.instrumented_engines:
            return
        instrumentor = SQLAlchemyInstrumentor()
        if instrumentor.is_instrumented_by_opentelemetry:
            log.warning("SQL is already traced for another engine in this process; not tracing %s", engine.url)
            return
        # 0.66b1 declares "sqlalchemy < 2.1" and would refuse to do anything; its listeners are the
        # Engine/Pool events SQLAlchemy 2.1 still fires on the async engine's sync core (the
        # integration trace test proves the SQL spans arrive), so the version check is skipped.
        instrumentor.instrument(
            engine=engine.sync_engine,
            enable_commenter=False,
            skip_dep_check=True,
            tracer_provider=_InTraceOnly(trace.get_tracer_provider()),
        )
        self.instrumented_engines.append(engine)

    def shutdown(self) -> None:
        """Flush and stop the exporters."""
        if self.tracer_provider is not None:
            self.tracer_provider.shutdown()
        if self.meter_provider is not None:
            self.meter_provider.shutdown()


def setup_telemetry(service: str, otlp_endpoint: str) -> Telemetry:
    """Install tracer and meter providers for this process (call in the lifespan, never at import)."""
    resource = Resource.create({"service.name": service, "service.namespace": "baoxue"})
    telemetry = Telemetry()
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        log.info("a tracer provider is already installed in this process; keeping it")
    else:
        provider = TracerProvider(resource=resource)
        if otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=_signal(otlp_endpoint, "traces"))))
        trace.set_tracer_provider(provider)
        telemetry.tracer_provider = provider
    if otlp_endpoint and not isinstance(metrics.get_meter_provider(), MeterProvider):
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=_signal(otlp_endpoint, "metrics")))
        telemetry.meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
        metrics.set_meter_provider(telemetry.meter_provider)
    instrumentor = AIOKafkaInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()
        # Producer spans and trace headers only: the consumer opens its own processing span per record in the
        # producer's trace (dispatch.py), while the instrumentation's receive spans, opened and ended per record
        # inside getmany, join no trace and cost the batch consumer about two thirds of its throughput.
        unwrap(AIOKafkaConsumer, "getmany")
        unwrap(AIOKafkaConsumer, "getone")
    return telemetry


def prefer_stable_http_semconv() -> None:
    """Emit the stable HTTP names the dashboards query (`http.server.request.duration`, seconds).

    Call before the FastAPI instrumentation; an explicit OTEL_SEMCONV_STABILITY_OPT_IN wins.
    """
    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")


class _InTraceOnly(trace.TracerProvider):
    """Tracers that record only inside a trace: a relay's idle poll or a readiness ping starts none."""

    def __init__(self, provider: trace.TracerProvider) -> None:
        self._provider = provider

    def get_tracer(self, *args: Any, **kwargs: Any) -> Any:
        return _InTraceTracer(self._provider.get_tracer(*args, **kwargs))


class _InTraceTracer:
    """The part of a Tracer the SQLAlchemy instrumentation calls."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    def start_span(self, name: str, context: Any = None, *args: Any, **kwargs: Any) -> trace.Span:
        if not _in_trace(context):
            return trace.INVALID_SPAN
        return self._tracer.start_span(name, context, *args, **kwargs)

    @contextlib.contextmanager
    def start_as_current_span(self, name: str, context: Any = None, *args: Any, **kwargs: Any) -> Iterator[trace.Span]:
        if not _in_trace(context):
            yield trace.INVALID_SPAN
            return
        with self._tracer.start_as_current_span(name, context, *args, **kwargs) as span:
            yield span


def _in_trace(context: Any) -> bool:
    return bool(trace.get_current_span(context).get_span_context().is_valid)


def kafka_is_instrumented() -> bool:
    """Whether the aiokafka instrumentation injects trace headers on send (so the relay need not)."""
    return bool(AIOKafkaInstrumentor().is_instrumented_by_opentelemetry)


def _signal(endpoint: str, signal: str) -> str:
    return endpoint.rstrip("/") + f"/v1/{signal}"
