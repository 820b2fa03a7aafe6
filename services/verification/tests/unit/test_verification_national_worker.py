"""The national-list worker: a failed chunk is retried an item at a time, and the one item that fails is set aside."""

from __future__ import annotations

from collections.abc import Collection
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from verification import national_worker
from verification.national import ChunkFailed
from verification.national_worker import NationalWorker


class Items:
    """Pending items in order; flagging a chunk holding a bad item fails whole, as the real transaction does."""

    def __init__(self, n: int, bad: set[int]) -> None:
        self.pending = [("B", f"I{i}") for i in range(n)]
        self.bad = {("B", f"I{i}") for i in bad}
        self.limits: list[int] = []

    async def flag_pending(self, uow: Any, zone: ZoneInfo, limit: int, skip: Collection[tuple[str, str]] = ()) -> int:
        self.limits.append(limit)
        chunk = [k for k in self.pending if k not in skip][:limit]
        if self.bad & set(chunk):
            raise ChunkFailed(chunk) from RuntimeError("boom")
        self.pending = [k for k in self.pending if k not in chunk]
        return len(chunk)


class FakeRuntime:
    """What the worker reads of a runtime (weak-referenceable, as a ServiceRuntime is)."""

    clock = SimpleNamespace(zone=ZoneInfo("Asia/Shanghai"))

    def uow(self) -> None:
        return None


async def test_one_bad_item_holds_up_no_other(monkeypatch: pytest.MonkeyPatch) -> None:
    items = Items(10, bad={3})
    monkeypatch.setattr(national_worker, "flag_pending", items.flag_pending)
    runtime = FakeRuntime()
    worker = NationalWorker(runtime, interval_s=0.01, chunk=4)  # type: ignore[arg-type]
    for _ in range(12):
        await worker.pass_once()
    assert items.pending == [("B", "I3")], "every other item flagged"
    assert worker.stuck == {("B", "I3")}
    # A chunk of 4 failed; items 0-2 one by one; item 3 alone failed and was set aside; back to chunks of 4.
    assert items.limits[:6] == [4, 1, 1, 1, 1, 4]


async def test_a_passing_failure_goes_back_to_chunks_after_a_chunks_worth_of_single_items(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = Items(20, bad=set())
    failures = iter([True])

    async def flaky(uow: Any, zone: ZoneInfo, limit: int, skip: Collection[tuple[str, str]] = ()) -> int:
        if next(failures, False):
            items.limits.append(limit)
            raise ChunkFailed([]) from ConnectionError("database gone")
        return await items.flag_pending(uow, zone, limit, skip)

    monkeypatch.setattr(national_worker, "flag_pending", flaky)
    runtime = FakeRuntime()
    worker = NationalWorker(runtime, interval_s=0.01, chunk=4)  # type: ignore[arg-type]
    for _ in range(10):
        await worker.pass_once()
    assert items.pending == [] and worker.stuck == set()
    assert items.limits[:7] == [4, 1, 1, 1, 1, 4, 4]
