"""Sampling profile of a service process under load (py-spy), summarised as the top functions by time."""

from __future__ import annotations

import asyncio
import collections
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any


def py_spy() -> str | None:
    """The py-spy executable next to this interpreter, or on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Profiler:
    """`py-spy record --format raw` of one process for a while; `finish()` returns the top items."""

    def __init__(self, pid: int, out: Path, seconds: float, rate: int = 50) -> None:
        self.pid = pid
        self.out = out.with_suffix(".txt")
        self.seconds = seconds
        self.rate = rate
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Profiler:
        exe = py_spy()
        if exe is None:
            return self
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [exe, "record", "--pid", str(self.pid), "--format", "raw", "--rate", str(self.rate), "--nonblocking"]
            + ["--duration", str(int(self.seconds)), "--output", str(self.out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        return self

    async def finish(self) -> dict[str, Any]:
        """Wait for py-spy (it stops after its duration) and summarise the stacks."""
        if self.process is None:
            return {"error": "py-spy is not installed (pip install py-spy)"}
        _, err = await asyncio.to_thread(self.process.communicate)
        if not self.out.exists():
            return {"error": err.decode(errors="replace")[-500:]}
        return {"file": str(self.out), **summarise(self.out.read_text())}


def summarise(collapsed: str, top: int = 15) -> dict[str, Any]:
    """Self and inclusive shares of the busiest functions, from py-spy's collapsed stacks."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_short(f) for f in stack.split(";")]
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n

    def share(counter: collections.Counter[str]) -> list[list[Any]]:
        return [[name, round(100 * n / max(total, 1), 1)] for name, n in counter.most_common(top)]

    return {"samples": total, "self_pct": share(own), "inclusive_pct": share(_interesting(inclusive))}


def _short(frame: str) -> str:
    """`func (path/to/module.py:123)` → `func (module.py)`."""
    name, _, where = frame.partition(" (")
    return f"{name} ({Path(where.rstrip(')').split(':')[0]).name})" if where else name


def _interesting(inclusive: collections.Counter[str]) -> collections.Counter[str]:
    """Drop the event loop and thread frames every sample has."""
    boring = ("run (", "_run_once", "run_until_complete", "run_forever", "<module>", "_run (", "main (", "serve (")
    return collections.Counter({k: v for k, v in inclusive.items() if not k.startswith(boring)})
