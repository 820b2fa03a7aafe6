"""The worker that flags the national lists' items after the POST answered 202, a chunk per transaction.

Items are claimed with FOR UPDATE SKIP LOCKED, so replicas share a list and no item is flagged twice; a chunk
commits its flags, suspects and events together, so a crash between chunks loses nothing: the next pass (here or
in another replica) picks up the items left. A chunk that fails is retried an item a transaction, so one item that
cannot be flagged holds up no other: it is logged and left pending (retried after a restart).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref

from baoxue_common.runtime import ServiceRuntime
from baoxue_common.supervision import Stoppable

from verification.national import ChunkFailed, flag_pending

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
        self.singles = 0  # passes left flagging one item at a time, after a failed chunk
        self.stuck: set[tuple[str, str]] = set()  # items that failed alone: left pending, not tried again here
        _WORKERS[runtime] = self

    def kick(self) -> None:
        """Look for pending items now (a list was just stored)."""
        self._kicked.set()

    async def run(self) -> None:
        """Flag until nothing is pending, then wait; a failed chunk (rolled back whole) is retried next pass."""
        while not self.stopping:
            self._kicked.clear()
            flagged = await self.pass_once()
            if flagged:
                log.info("flagged %d national list items", flagged)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kicked.wait(), timeout=self._interval_s)

    async def pass_once(self) -> int:
        """One transaction: a chunk, or a single item while isolating a failure; return how many were flagged."""
        limit = 1 if self.singles else self._chunk
        try:
            flagged = await flag_pending(self._runtime.uow(), self._runtime.clock.zone, limit, self.stuck)
        except ChunkFailed as failed:
            if limit == 1 and failed.keys:
                self.stuck.update(failed.keys)
                self.singles = 0
                log.error("national list item %s cannot be flagged (%r); left pending", failed.keys, failed.__cause__)
            else:
                self.singles = self._chunk
                log.warning("flagging national list items failed (%r); retrying one by one", failed.__cause__)
            return 0
        self.singles = max(self.singles - 1, 0) if flagged else 0
        return flagged


def kick(runtime: ServiceRuntime) -> None:
    """Wake the runtime's worker, if it has one (the items are flagged by the next poll anyway)."""
    worker = _WORKERS.get(runtime)
    if worker is not None:
        worker.kick()
