"""Kafka instrumentation: producer spans and trace headers, but no per-record receive spans in the consumer."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from baoxue_common.telemetry import setup_telemetry, kafka_is_instrumented

setup_telemetry("telemetry-test", "")
assert kafka_is_instrumented()
assert hasattr(vars(AIOKafkaProducer)["send"], "__wrapped__"), "send must be traced (producer span, trace headers)"
assert not hasattr(vars(AIOKafkaConsumer)["getmany"], "__wrapped__"), "getmany must not open a span per record"
assert not hasattr(vars(AIOKafkaConsumer)["getone"], "__wrapped__")
print("ok")
"""


def test_only_the_producer_side_of_aiokafka_is_instrumented() -> None:
    # A fresh interpreter: instrumentation patches classes process-wide.
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
