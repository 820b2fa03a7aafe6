"""The aiokafka log rate limiter and Kafka header decoding."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from baoxue_common import kafka
from baoxue_common.kafka import RateLimitFilter, encode_headers, headers_dict


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(kafka, "time", SimpleNamespace(monotonic=fake.monotonic))
    return fake


def record(logger: str, msg: str, *args: object) -> logging.LogRecord:
    return logging.makeLogRecord({"name": logger, "msg": msg, "args": args, "levelno": logging.WARNING})


@pytest.mark.parametrize("logger", ["aiokafka", "aiokafka.conn", "aiokafka.consumer.group_coordinator"])
def test_same_template_passes_once_per_interval(clock: Clock, logger: str) -> None:
    limiter = RateLimitFilter(interval_s=30.0)
    template = "Unable connect to node with id %s: %s"
    assert limiter.filter(record(logger, template, 1, "refused"))
    assert not limiter.filter(record(logger, template, 2, "timeout"))
    clock.now += 29.9
    assert not limiter.filter(record(logger, template, 1, "refused"))
    clock.now += 0.1
    assert limiter.filter(record(logger, template, 1, "refused"))
    assert not limiter.filter(record(logger, template, 1, "refused"))


@pytest.mark.parametrize("logger", ["baoxue", "uvicorn.error", "root", "kafka", "my.aiokafka"])
def test_other_loggers_are_never_limited(clock: Clock, logger: str) -> None:
    limiter = RateLimitFilter()
    assert all(limiter.filter(record(logger, "same message")) for _ in range(5))


def test_templates_and_loggers_are_limited_separately(clock: Clock) -> None:
    limiter = RateLimitFilter()
    assert limiter.filter(record("aiokafka.conn", "template A"))
    assert limiter.filter(record("aiokafka.conn", "template B"))
    assert limiter.filter(record("aiokafka.client", "template A"))
    assert not limiter.filter(record("aiokafka.conn", "template A"))
    assert not limiter.filter(record("aiokafka.client", "template A"))


def test_a_custom_prefix_is_honoured(clock: Clock) -> None:
    limiter = RateLimitFilter(prefix="sqlalchemy", interval_s=5)
    assert limiter.filter(record("sqlalchemy.pool", "x"))
    assert not limiter.filter(record("sqlalchemy.pool", "x"))
    assert limiter.filter(record("aiokafka", "x"))
    assert limiter.filter(record("aiokafka", "x"))


def test_limiter_drops_records_through_a_real_logger(clock: Clock) -> None:
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, rec: logging.LogRecord) -> None:
            seen.append(rec.getMessage())

    logger = logging.getLogger("aiokafka.unit-test-limiter")
    logger.propagate = False
    handler = Collect()
    handler.addFilter(RateLimitFilter())
    logger.addHandler(handler)
    try:
        for attempt in range(3):
            logger.warning("broker down, attempt %d", attempt)
    finally:
        logger.removeHandler(handler)
    assert seen == ["broker down, attempt 0"]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (None, {}),
        ([], {}),
        ([("traceparent", b"00-abc-def-01")], {"traceparent": "00-abc-def-01"}),
        ([("a", b"1"), ("b", b"2")], {"a": "1", "b": "2"}),
        ([("k", b"first"), ("k", b"last")], {"k": "last"}),
        ([("name", "学籍".encode())], {"name": "学籍"}),
        ([("bad", b"\xff\xfeok")], {"bad": "\ufffd\ufffdok"}),
        ((("tuple", b"v"),), {"tuple": "v"}),
    ],
)
def test_headers_dict(headers: list[tuple[str, bytes]] | None, expected: dict[str, str]) -> None:
    assert headers_dict(headers) == expected


def test_encode_then_decode_headers_round_trips() -> None:
    headers = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "tenant": "学校"}
    assert headers_dict(encode_headers(headers)) == headers
