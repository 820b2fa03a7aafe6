"""Daily sweeps (巡检): the checks that depend on the date, not on an event (overdue verifications first).

Each sweep takes a fresh unit of work and the day, and returns how many things it raised; a sweep raises each
thing once, so running a day twice (the loop after a restart, an operator's `baoxue verification sweep`) is safe.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Collection
from datetime import date
from typing import Protocol

from baoxue_common.runtime import ServiceRuntime
from baoxue_common.supervision import Stoppable
from baoxue_common.uow import UnitOfWork, UnitOfWorkFactory

from verification.roster_sweeps import flag_not_attending, flag_stalled_transfers
from verification.verifications import raise_overdue

log = logging.getLogger(__name__)


class Sweep(Protocol):
    """One sweep: raise what `today` makes due in `counties` (None: all); return how many."""

    __name__: str

    def __call__(self, uow: UnitOfWork, today: date, *, counties: Collection[str] | None = None) -> Awaitable[int]: ...


def committed(sweep: Sweep) -> Sweep:
    """A sweep that works inside its caller's unit of work, run in one transaction of its own."""

    async def run(uow: UnitOfWork, today: date, *, counties: Collection[str] | None = None) -> int:
        async with uow:
            raised = await sweep(uow, today, counties=counties)
            await uow.commit()
        return raised

    run.__name__ = sweep.__name__
    return run


SWEEPS: list[Sweep] = [raise_overdue, committed(flag_stalled_transfers), committed(flag_not_attending)]


async def run_sweeps(
    uows: ServiceRuntime | UnitOfWorkFactory, day: date, counties: Collection[str] | None = None
) -> dict[str, int]:
    """Run every sweep for `day` (over `counties`, None: all), each in its own transaction; return what each raised."""
    factory = uows.uow if isinstance(uows, ServiceRuntime) else uows
    return {sweep.__name__: await sweep(factory(), day, counties=counties) for sweep in SWEEPS}


class SweepLoop(Stoppable):
    """Runs the sweeps once per local day: it looks every interval whether the date moved on."""

    def __init__(self, runtime: ServiceRuntime, interval_s: float) -> None:
        super().__init__()
        self._runtime = runtime
        self._interval_s = interval_s
        self.last_day: date | None = None

    async def run(self) -> None:
        """Sweep now, then whenever the runtime's clock shows a new day; a failed pass is retried next interval."""
        while not self.stopping:
            today = self._runtime.clock.today()  # read each time: tests replace the clock
            if today != self.last_day:
                try:
                    raised = await run_sweeps(self._runtime.uow, today)
                    self.last_day = today
                    log.info("sweeps of %s: %s", today, raised)
                except Exception as exc:
                    log.warning("sweeps of %s failed (%r); retried in %.0fs", today, exc, self._interval_s)
            await self._sleep_unless_stopped(self._interval_s)
