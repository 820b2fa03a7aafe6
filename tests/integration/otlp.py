"""An in-test OTLP/HTTP receiver: the services export their spans and metrics here, the tests read them."""

from __future__ import annotations

import gzip
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

SERVER, CLIENT = Span.SPAN_KIND_SERVER, Span.SPAN_KIND_CLIENT
PRODUCER, CONSUMER = Span.SPAN_KIND_PRODUCER, Span.SPAN_KIND_CONSUMER


@dataclass(frozen=True)
class SpanSeen:
    """One exported span: who sent it, what it is, where it hangs in its trace."""

    service: str
    name: str
    kind: int
    span_id: str
    parent_id: str
    scope: str
    attributes: dict[str, str]

    @property
    def is_sql(self) -> bool:
        """A database client span (old or stable semantic conventions)."""
        return self.kind == CLIENT and ("db.system" in self.attributes or "db.system.name" in self.attributes)


@dataclass
class MetricSeen:
    """What one service exported under one metric name: its OTLP shape and the attribute keys of its points."""

    name: str
    unit: str
    data: str  # gauge, sum, histogram, exponential_histogram or summary
    monotonic: bool = False
    attribute_keys: set[str] = field(default_factory=set)
    points: int = 0


@dataclass
class OtlpReceiver:
    """Collects spans per trace id, and metrics per service, from OTLP/HTTP protobuf exports."""

    port: int = 0
    traces: dict[str, list[SpanSeen]] = field(default_factory=lambda: defaultdict(list))
    metrics: dict[str, dict[str, MetricSeen]] = field(default_factory=lambda: defaultdict(dict))
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        """The value for OTEL_EXPORTER_OTLP_ENDPOINT."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OtlpReceiver:
        """Listen on a free loopback port in a daemon thread."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path == "/v1/traces":
                    receiver.add(body)
                elif self.path == "/v1/metrics":
                    receiver.add_metrics(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def add(self, body: bytes) -> None:
        """Record the spans of one export request."""
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        with self.lock:
            for resource_spans in request.resource_spans:
                service = _attributes(resource_spans.resource.attributes).get("service.name", "?")
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        self.traces[span.trace_id.hex()].append(
                            SpanSeen(
                                service=service,
                                name=span.name,
                                kind=span.kind,
                                span_id=span.span_id.hex(),
                                parent_id=span.parent_span_id.hex(),
                                scope=scope_spans.scope.name,
                                attributes=_attributes(span.attributes),
                            )
                        )

    def add_metrics(self, body: bytes) -> None:
        """Record the metrics of one export request."""
        request = ExportMetricsServiceRequest()
        request.ParseFromString(body)
        with self.lock:
            for resource_metrics in request.resource_metrics:
                service = _attributes(resource_metrics.resource.attributes).get("service.name", "?")
                for scope_metrics in resource_metrics.scope_metrics:
                    for metric in scope_metrics.metrics:
                        kind = metric.WhichOneof("data") or "?"
                        data: Any = getattr(metric, kind)
                        seen = self.metrics[service].setdefault(
                            metric.name,
                            MetricSeen(metric.name, metric.unit, kind, kind == "sum" and data.is_monotonic),
                        )
                        for point in data.data_points:
                            seen.points += 1
                            seen.attribute_keys.update(a.key for a in point.attributes)

    def services_in(self, trace_id: str) -> set[str]:
        """The services that exported spans of one trace."""
        with self.lock:
            return {span.service for span in self.traces.get(trace_id, [])}

    def spans(self, trace_id: str) -> list[SpanSeen]:
        """A copy of the spans of one trace seen so far."""
        with self.lock:
            return list(self.traces.get(trace_id, []))

    def all_spans(self) -> list[SpanSeen]:
        """Every span seen so far."""
        with self.lock:
            return [span for spans in self.traces.values() for span in spans]

    def metrics_of(self, service: str) -> dict[str, MetricSeen]:
        """A copy of what one service exported, by OTel metric name."""
        with self.lock:
            return dict(self.metrics.get(service, {}))

    def stop(self) -> None:
        """Stop listening."""
        if self.server is not None:
            self.server.shutdown()


def _attributes(attributes: Any) -> dict[str, str]:
    return {a.key: _value(a) for a in attributes}


def _value(attribute: KeyValue) -> str:
    kind = attribute.value.WhichOneof("value")
    return "" if kind is None else str(getattr(attribute.value, kind))
