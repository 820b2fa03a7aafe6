"""The platform's local time: a school's "today" is the date in Beijing, whatever the UTC date is."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from baoxue_common.clock import Clock, fixed, local_instant
from hypothesis import given
from hypothesis import strategies as st

BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("utc", "today"),
    [
        (datetime(2026, 11, 2, 23, 0, tzinfo=UTC), date(2026, 11, 3)),  # 07:00 in Beijing: already the 3rd
        (datetime(2026, 11, 2, 15, 59, 59, tzinfo=UTC), date(2026, 11, 2)),  # 23:59:59 in Beijing
        (datetime(2026, 11, 2, 16, 0, tzinfo=UTC), date(2026, 11, 3)),  # midnight in Beijing
        (datetime(2026, 12, 31, 20, 0, tzinfo=UTC), date(2027, 1, 1)),
    ],
)
def test_today_is_the_beijing_date(utc: datetime, today: date) -> None:
    assert Clock(BEIJING, fixed(utc)).today() == today


def test_today_follows_the_configured_zone() -> None:
    instant = datetime(2026, 11, 2, 23, 0, tzinfo=UTC)
    assert Clock(ZoneInfo("UTC"), fixed(instant)).today() == date(2026, 11, 2)
    assert Clock(ZoneInfo("America/New_York"), fixed(instant)).today() == date(2026, 11, 2)


def test_a_day_is_stamped_at_eight_in_the_morning_local_time() -> None:
    at = Clock(BEIJING).at(date(2026, 11, 3))
    assert at == datetime(2026, 11, 3, 0, 0, tzinfo=UTC)
    assert (at.date(), at.hour, at.utcoffset()) == (date(2026, 11, 3), 8, timedelta(hours=8))


def test_a_fixed_instant_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        fixed(datetime(2026, 11, 3, 7, 0))


@given(st.datetimes(min_value=datetime(1992, 1, 1), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)))
def test_today_is_the_utc_instant_plus_eight_hours(instant: datetime) -> None:  # no DST in China since 1991
    assert Clock(BEIJING, fixed(instant)).today() == (instant + timedelta(hours=8)).date()


@given(st.dates())
def test_any_day_gets_a_local_instant_on_that_day(day: date) -> None:
    at = local_instant(day, BEIJING)
    assert (at.date(), at.hour, at.tzinfo) == (day, 8, BEIJING)
