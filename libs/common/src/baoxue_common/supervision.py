"""Keep a background loop running: restart it after a crash with a back-off that resets once it runs well."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Stoppable:
    """The stop flag of a background loop: stop() asks it to end after the work in hand."""

    def __init__(self) -> None:
        self._stopping = asyncio.Event()

    @property
    def stopping(self) -> bool:
        """Whether stop() was called."""
        return self._stopping.is_set()

    def stop(self) -> None:
        """Ask the loop to end after the work in hand."""
        self._stopping.set()

    async def _sleep_unless_stopped(self, seconds: float) -> None:
        """Wait `seconds`, or less if stop() is called meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)


async def supervise(
    what: str,
    run: Callable[[], Awaitable[None]],
    *,
    stopping: Callable[[], bool],
    first_delay_s: float = 0.5,
    max_delay_s: float = 10.0,
    healthy_after_s: float = 30.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Run `run` until it returns or `stopping()`; after a crash wait, doubling the wait up to `max_delay_s`.

    A run that lasted `healthy_after_s` counts as a success: the next crash waits `first_delay_s` again,
    so a loop that failed to connect at start-up does not pay the longest back-off for a crash hours later.
    """
    delay = first_delay_s
    while not stopping():
        started = clock()
        try:
            await run()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if clock() - started >= healthy_after_s:
                delay = first_delay_s
            log.warning("%s stopped (%r); restarting in %.1fs", what, exc, delay)
            await sleep(delay)
            delay = min(delay * 2, max_delay_s)
