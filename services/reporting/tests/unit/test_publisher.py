"""The publisher's pure parts: which figures a change marks, what a published version says, where a stream resumes."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest
from reporting.handlers import dirty_keys
from reporting.publisher import Published, event_of
from reporting.stats_stream import frame, resume_after

TODAY = date(2026, 12, 7)


def test_a_change_this_month_marks_each_regions_current_period() -> None:
    moved = Counter(
        {("330102", date(2026, 12, 1), "suspected", ""): 1, ("000000", date(2026, 12, 1), "suspected", ""): 1}
    )
    assert dirty_keys(moved, TODAY) == {("330102", "2026-Q4", "county"), ("000000", "2026-B6", "national")}


def test_a_stock_moved_in_an_old_month_marks_the_current_period_too() -> None:
    moved = Counter(
        {("3301020001", date(2026, 3, 1), "suspected", ""): -1, ("330100", date(2026, 3, 1), "suspected", ""): -1}
    )
    assert dirty_keys(moved, TODAY) == {
        ("3301020001", "2026-03", "school"),
        ("3301020001", "2026-12", "school"),
        ("330100", "2025-S2", "city"),
        ("330100", "2026-S1", "city"),
    }


def test_a_flow_in_an_old_month_marks_only_its_period() -> None:
    moved = Counter({("330102", date(2026, 3, 1), "flagged", ""): 1})
    assert dirty_keys(moved, TODAY) == {("330102", "2026-Q1", "county")}


def test_the_event_leaves_out_figures_without_a_value() -> None:
    at = datetime(2026, 12, 7, tzinfo=UTC)
    event = event_of(Published("330102", "county", "2026-Q4", 3, {"suspected": 2, "return_rate": None}, at, "上城区"))
    assert event.figures == {"suspected": 2}
    assert (event.version, event.region_name, event.destination()) == (3, "上城区", "stats.county.v1")


@pytest.mark.parametrize(
    ("header", "after"),
    [(None, None), ("", None), ("2026-Q4:7", 7), ("7", 7), ("2026-Q3:7", 0)],
)
def test_a_stream_resumes_after_the_version_its_last_event_id_names(header: str | None, after: int | None) -> None:
    assert resume_after(header, "2026-Q4") == after


@pytest.mark.parametrize("header", ["2026-Q4:x", "2026-Q4:", "-1", "2026-Q4:1e3"])
def test_a_malformed_last_event_id_is_refused(header: str) -> None:
    with pytest.raises(ValueError, match="Last-Event-ID"):
        resume_after(header, "2026-Q4")


def test_an_event_frame_is_id_type_and_one_data_line() -> None:
    assert frame("2026-Q4:1", {"name": "上城区"}) == 'id: 2026-Q4:1\nevent: stats\ndata: {"name": "上城区"}\n\n'
