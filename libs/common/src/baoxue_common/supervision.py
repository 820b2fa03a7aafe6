"""Keep a background loop running: restart it after a crash with a back-off that resets once it runs well."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


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
