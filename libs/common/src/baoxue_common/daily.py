"""A background loop that runs a service's daily work (巡检) once per local day, as the runtime's clock shows it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, Protocol

from baoxue_common.supervision import Stoppable

log = logging.getLogger(__name__)


class _Today(Protocol):
    def today(self) -> date: ...


class _HasClock(Protocol):
    @property
    def clock(self) -> _Today: ...


class DailyLoop(Stoppable):
    """Runs `work(day)` once per local day: it looks every interval whether the date moved on."""

    def __init__(self, runtime: _HasClock, interval_s: float, work: Callable[[date], Awaitable[Any]]) -> None:
        super().__init__()
        self._runtime = runtime
        self._interval_s = interval_s
        self._work = work
        self.last_day: date | None = None

    async def run(self) -> None:
        """Work now, then whenever the runtime's clock shows a new day; a failed pass is retried next interval."""
        while not self.stopping:
            today = self._runtime.clock.today()  # read each time: tests replace the clock
            if today != self.last_day:
                try:
                    done = await self._work(today)
                    self.last_day = today
                    log.info("%s of %s: %s", type(self).__name__, today, done)
                except Exception as exc:
                    log.warning(
                        "%s of %s failed (%r); retried in %.0fs", type(self).__name__, today, exc, self._interval_s
                    )
            await self._sleep_unless_stopped(self._interval_s)
