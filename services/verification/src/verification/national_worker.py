"""The worker that flags the national lists' items after the POST answered 202, a chunk per transaction.

Items are claimed with FOR UPDATE SKIP LOCKED, so replicas share a list and no item is flagged twice; a chunk
commits its flags, suspects and events together, so a crash between chunks loses nothing: the next pass (here or
in another replica) picks up the items left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref

from baoxue_common.runtime import ServiceRuntime
from baoxue_common.supervision import Stoppable

from verification.national import flag_pending

log = logging.getLogger(__name__)
_WORKERS: weakref.WeakKeyDictionary[ServiceRuntime, NationalWorker] = weakref.WeakKeyDictionary()


class NationalWorker(Stoppable):
    """Flags pending items chunk after chunk while there are any, then polls every interval (or when kicked)."""

    def __init__(self, runtime: ServiceRuntime, interval_s: float, chunk: int) -> None:
        super().__init__()
        self._runtime = runtime
        self._interval_s = interval_s
        self._chunk = chunk
        self._kicked = asyncio.Event()
        _WORKERS[runtime] = self

    def kick(self) -> None:
        """Look for pending items now (a list was just stored)."""
        self._kicked.set()

    async def run(self) -> None:
        """Flag until nothing is pending, then wait; a failed chunk (rolled back whole) is retried next pass."""
        while not self.stopping:
            self._kicked.clear()
            try:
                flagged = await flag_pending(self._runtime.uow(), self._runtime.clock.zone, self._chunk)
            except Exception as exc:
                log.warning("flagging national list items failed (%r); retried in %.1fs", exc, self._interval_s)
                flagged = 0
            if flagged:
                log.info("flagged %d national list items", flagged)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kicked.wait(), timeout=self._interval_s)


def kick(runtime: ServiceRuntime) -> None:
    """Wake the runtime's worker, if it has one (the items are flagged by the next poll anyway)."""
    worker = _WORKERS.get(runtime)
    if worker is not None:
        worker.kick()
