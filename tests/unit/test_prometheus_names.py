"""Our port of the collector's OTLP → Prometheus naming gives the names the collector's own tests expect.

The cases are from opentelemetry-collector-contrib's pkg/translator/prometheus/normalize_name_test.go;
the dashboards test relies on this port to say which series the services' metrics become.
"""

from __future__ import annotations

import pytest

from tests.integration.otlp import MetricSeen
from tests.integration.prometheus_names import prometheus_name, series_names

GAUGE, COUNTER = ("gauge", False), ("sum", True)


@pytest.mark.parametrize(
    ("name", "unit", "kind", "expected"),
    [
        ("system.io", "By", COUNTER, "system_io_bytes_total"),
        ("network_transmitted_bytes_total", "By", COUNTER, "network_transmitted_bytes_total"),
        ("system.network.dropped", "{packets}", GAUGE, "system_network_dropped"),
        ("system.network.dropped", "{packets}", COUNTER, "system_network_dropped_total"),
        ("system.network.packets", "packets", GAUGE, "system_network_packets"),
        ("hw.fan.speed_ratio", "1", GAUGE, "hw_fan_speed_ratio"),
        ("objects", "1", COUNTER, "objects_total"),
        (
            "active_directory.ds.replication.object.rate",
            "{objects}/s",
            GAUGE,
            "active_directory_ds_replication_object_rate_per_second",
        ),
        ("mongodbatlas.process.oplog.rate", "GiBy/h", GAUGE, "mongodbatlas_process_oplog_rate_gibibytes_per_hour"),
        ("system.disk.operation_time", "s", COUNTER, "system_disk_operation_time_seconds_total"),
        ("3.14 digits", "", GAUGE, "_3_14_digits"),
    ],
)
def test_names_match_the_collector(name: str, unit: str, kind: tuple[str, bool], expected: str) -> None:
    assert prometheus_name(MetricSeen(name, unit, kind[0], monotonic=kind[1])) == expected


def test_histograms_become_bucket_sum_and_count_series() -> None:
    metric = MetricSeen("http.server.request.duration", "s", "histogram")
    assert series_names(metric) == {f"http_server_request_duration_seconds_{s}" for s in ("bucket", "sum", "count")}
