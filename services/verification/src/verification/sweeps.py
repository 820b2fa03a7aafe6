"""Daily sweeps (巡检): the checks that depend on the date, not on an event (overdue verifications first).

Each sweep takes a fresh unit of work and the day, and returns how many things it raised; a sweep raises each
thing once, so running a day twice (the loop after a restart, an operator's `baoxue verification sweep`) is safe.
"""

from __future__ import annotations

from collections.abc import Awaitable, Collection
from datetime import date
from typing import Protocol

from baoxue_common.daily import DailyLoop
from baoxue_common.runtime import ServiceRuntime
from baoxue_common.uow import UnitOfWork, UnitOfWorkFactory

from verification.roster_sweeps import flag_not_attending, flag_stalled_transfers
from verification.verifications import raise_overdue


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


class SweepLoop(DailyLoop):
    """Runs the sweeps once per local day: it looks every interval whether the date moved on."""

    def __init__(self, runtime: ServiceRuntime, interval_s: float) -> None:
        super().__init__(runtime, interval_s, lambda day: run_sweeps(runtime.uow, day))
