"""The platform's local time: "today" is the date in `BAOXUE_TIME_ZONE` (Asia/Shanghai), not in UTC."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

Now = Callable[[], datetime]


def utc_now() -> datetime:
    """The current instant (aware, UTC)."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Clock:
    """Local dates and times in one zone; `now` is injectable so tests pick the instant."""

    zone: ZoneInfo
    now: Now = field(default=utc_now)

    def local_now(self) -> datetime:
        """The current instant in the platform's zone."""
        return self.now().astimezone(self.zone)

    def today(self) -> date:
        """The local calendar date (a school's "today")."""
        return self.local_now().date()

    def at(self, day: date, hour: int = 8) -> datetime:
        """An aware instant at `hour` o'clock local time on `day`."""
        return local_instant(day, self.zone, hour)


def local_instant(day: date, zone: ZoneInfo, hour: int = 8) -> datetime:
    """An aware instant at `hour` o'clock on `day` in `zone`."""
    return datetime.combine(day, time(hour), tzinfo=zone)


def fixed(instant: datetime) -> Now:
    """A `now` that always answers the same instant (tests, replays)."""
    if instant.tzinfo is None:
        raise ValueError("a fixed instant must be timezone-aware")
    return lambda: instant
