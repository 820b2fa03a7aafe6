"""An in-test OTLP/HTTP receiver: the services export their spans here, the test reads them."""

from __future__ import annotations

import gzip
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


@dataclass
class OtlpReceiver:
    """Collects (service, span name) per trace id from OTLP/HTTP protobuf exports."""

    port: int = 0
    traces: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
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
                attrs = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                service = attrs.get("service.name", "?")
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        self.traces[span.trace_id.hex()].append((service, span.name))

    def services_in(self, trace_id: str) -> set[str]:
        """The services that exported spans of one trace."""
        with self.lock:
            return {service for service, _ in self.traces.get(trace_id, [])}

    def stop(self) -> None:
        """Stop listening."""
        if self.server is not None:
            self.server.shutdown()
