"""The OpenTelemetry instruments ops read on the dashboards: what the consumer applied, lag, the outbox.

Names are OpenTelemetry's (dots); the collector's Prometheus exporter turns them into
`baoxue_consumer_records_applied_total`, `baoxue_outbox_oldest_age_seconds` and so on. Each
process's `service.name` becomes the `job` label. Gauges report the latest value the loops recorded,
and nothing before the first one (an unmeasured backlog is not a backlog of 0).
"""

from __future__ import annotations

import threading

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

METER_NAME = "baoxue"

APPLIED = "baoxue.consumer.records.applied"
DEAD_LETTERED = "baoxue.consumer.records.dead_lettered"
LAG = "baoxue.consumer.lag"
PUBLISHED = "baoxue.outbox.published"
PARKED = "baoxue.outbox.parked"
BACKLOG = "baoxue.outbox.backlog"
OLDEST_AGE = "baoxue.outbox.oldest.age"
PRUNED = "baoxue.retention.pruned"


class PlumbingMetrics:
    """The instruments of one process's consumer, outbox relay and retention task."""

    def __init__(self) -> None:
        meter = metrics.get_meter(METER_NAME)
        self._lock = threading.Lock()
        self._lag: dict[tuple[str, int], int] = {}
        self._outbox: tuple[int, float, int] | None = None  # rows, oldest age (s), parked
        self._applied = meter.create_counter(APPLIED, unit="{record}", description="records applied, per topic")
        self._dead_lettered = meter.create_counter(
            DEAD_LETTERED, unit="{record}", description="records sent to deadletter.v1, per source topic"
        )
        self._published = meter.create_counter(PUBLISHED, unit="{event}", description="outbox rows published")
        self._pruned = meter.create_counter(PRUNED, unit="{row}", description="plumbing rows pruned, per table")
        meter.create_observable_gauge(
            LAG, [self._observe_lag], unit="{record}", description="records behind the partition's high watermark"
        )
        meter.create_observable_gauge(
            BACKLOG, [self._observe_backlog], unit="{event}", description="outbox rows not yet published"
        )
        meter.create_observable_gauge(
            OLDEST_AGE, [self._observe_age], unit="s", description="age of the oldest unpublished outbox row"
        )
        meter.create_observable_gauge(
            PARKED, [self._observe_parked], unit="{event}", description="outbox rows parked as unsendable"
        )

    def applied(self, topic: str, count: int = 1) -> None:
        """Records of a topic applied (a redelivery skipped by the inbox counts too: it was handled)."""
        if count:
            self._applied.add(count, {"topic": topic})

    def dead_lettered(self, topic: str, count: int = 1) -> None:
        """Records of a topic sent to the dead-letter topic."""
        self._dead_lettered.add(count, {"topic": topic})

    def published(self, count: int) -> None:
        """Outbox rows the relay published."""
        if count:
            self._published.add(count)

    def pruned(self, table: str, count: int) -> None:
        """Rows the retention task deleted from a plumbing table."""
        if count:
            self._pruned.add(count, {"table": table})

    def set_lag(self, topic: str, partition: int, lag: int) -> None:
        """The latest lag seen on one partition."""
        with self._lock:
            self._lag[(topic, partition)] = max(lag, 0)

    def forget_partitions(self, keep: set[tuple[str, int]]) -> None:
        """Stop reporting lag for partitions this process no longer owns."""
        with self._lock:
            self._lag = {tp: lag for tp, lag in self._lag.items() if tp in keep}

    def set_backlog(self, rows: int, oldest_age_s: float, parked: int) -> None:
        """The outbox's unpublished rows, the age of the oldest one, and the parked rows."""
        with self._lock:
            self._outbox = (rows, max(oldest_age_s, 0.0), parked)

    def _observe_lag(self, _: CallbackOptions) -> list[Observation]:
        with self._lock:
            return [Observation(lag, {"topic": t, "partition": p}) for (t, p), lag in self._lag.items()]

    def _observe_backlog(self, _: CallbackOptions) -> list[Observation]:
        return self._observe_outbox(0)

    def _observe_age(self, _: CallbackOptions) -> list[Observation]:
        return self._observe_outbox(1)

    def _observe_parked(self, _: CallbackOptions) -> list[Observation]:
        return self._observe_outbox(2)

    def _observe_outbox(self, index: int) -> list[Observation]:
        with self._lock:
            return [] if self._outbox is None else [Observation(self._outbox[index])]
