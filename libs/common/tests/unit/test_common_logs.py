"""JSON log lines carry the service name and, inside a span, the trace and span ids."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime

import pytest
from baoxue_common.logs import JsonFormatter
from opentelemetry.sdk.trace import TracerProvider


def make_record(msg: str = "batch %s accepted", *args: object, **extra: object) -> logging.LogRecord:
    logger = logging.getLogger("baoxue.unit")
    return logger.makeRecord("baoxue.unit", logging.INFO, __file__, 1, msg, args or ("b1",), None, extra=extra)


def test_line_is_one_json_object_with_the_standard_keys() -> None:
    line = JsonFormatter("attendance-ingest").format(make_record())
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "info"
    assert entry["logger"] == "baoxue.unit"
    assert entry["msg"] == "batch b1 accepted"
    assert entry["service"] == "attendance-ingest"
    assert datetime.fromisoformat(entry["ts"]).utcoffset() is not None
    assert "trace_id" not in entry
    assert "span_id" not in entry


@pytest.mark.parametrize(
    ("level", "name"),
    [(logging.DEBUG, "debug"), (logging.WARNING, "warning"), (logging.ERROR, "error"), (logging.CRITICAL, "critical")],
)
def test_level_is_lower_case(level: int, name: str) -> None:
    record = logging.makeLogRecord(
        {"name": "x", "msg": "m", "levelno": level, "levelname": logging.getLevelName(level)}
    )
    assert json.loads(JsonFormatter("s").format(record))["level"] == name


def test_extras_are_kept_and_standard_attributes_are_not() -> None:
    entry = json.loads(JsonFormatter("ledger").format(make_record(batch_id="b-7", records=3)))
    assert entry["batch_id"] == "b-7"
    assert entry["records"] == 3
    for noise in ("args", "pathname", "lineno", "thread", "process", "msecs", "taskName"):
        assert noise not in entry


def test_non_json_extras_are_stringified() -> None:
    entry = json.loads(JsonFormatter("ledger").format(make_record(when=object)))
    assert entry["when"] == str(object)


def test_exceptions_are_included() -> None:
    try:
        raise ValueError("bad roster")
    except ValueError:
        record = logging.getLogger("x").makeRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = json.loads(JsonFormatter("s").format(record))
    assert "ValueError: bad roster" in entry["exc"]


def test_inside_a_span_the_trace_and_span_ids_are_carried() -> None:
    tracer = TracerProvider().get_tracer("unit")
    with tracer.start_as_current_span("push") as span:
        entry = json.loads(JsonFormatter("verification").format(make_record()))
        ctx = span.get_span_context()
    assert re.fullmatch(r"[0-9a-f]{32}", entry["trace_id"])
    assert re.fullmatch(r"[0-9a-f]{16}", entry["span_id"])
    assert entry["trace_id"] == format(ctx.trace_id, "032x")
    assert entry["span_id"] == format(ctx.span_id, "016x")
    after = json.loads(JsonFormatter("verification").format(make_record()))
    assert "trace_id" not in after


def test_nested_spans_share_the_trace_but_not_the_span() -> None:
    tracer = TracerProvider().get_tracer("unit")
    with tracer.start_as_current_span("outer"):
        outer = json.loads(JsonFormatter("s").format(make_record()))
        with tracer.start_as_current_span("inner"):
            inner = json.loads(JsonFormatter("s").format(make_record()))
    assert inner["trace_id"] == outer["trace_id"]
    assert inner["span_id"] != outer["span_id"]
