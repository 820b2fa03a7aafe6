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
            [
                *(exe, "record", "--pid", str(self.pid), "--format", "raw", "--rate", str(self.rate)),
                *("--nonblocking", "--duration", str(int(self.seconds)), "--output", str(self.out)),
            ],
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


# Where a sample's time goes: a stage counts every sample with a frame whose `func (file)` contains the marker.
STAGES: dict[str, str] = {
    "request body: JSON decode + pydantic validation": "request_body_to_args (",
    "json.loads of the body": "JSONDecoder.raw_decode",
    "auth (token check)": "require_school",
    "handler record_attendance (everything in it)": "record_attendance",
    "  day_counts": "day_counts (",
    "  lock_school_day": "lock_school_day (",
    "  calendar (school_days)": "school_days (calendar_store",
    "  off_roll": "off_roll (",
    "  write_day": "write_day (",
    "  classify + event models": "AbsenceRecorded",
    "  uow.emit (envelope, encode)": "UnitOfWork.emit",
    "  uow.commit (outbox insert, commit)": "UnitOfWork.commit",
    "SQLAlchemy statement compile": "SQLCompiler",
    "asyncpg execute": "_do_execute",
    "response serialisation": "serialize_response",
    "outbox relay": "OutboxRelay",
    "OpenTelemetry spans": "start_span",
    "SQLAlchemy greenlet-side work (any statement)": "greenlet_spawn",
    "access log": "uvicorn.protocols",
}


def summarise(collapsed: str, top: int = 15) -> dict[str, Any]:
    """Self shares of the busiest functions and the share of each stage, from py-spy's collapsed stacks."""
    own: collections.Counter[str] = collections.Counter()
    stages: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        own[_short(stack.rsplit(";", 1)[-1])] += n
        for stage, marker in STAGES.items():
            if marker in stack:
                stages[stage] += n

    def pct(n: int) -> float:
        return round(100 * n / max(total, 1), 1)

    return {
        "samples": total,
        "self_pct": [[name, pct(n)] for name, n in own.most_common(top)],
        "stage_pct": {stage: pct(stages[stage]) for stage in STAGES if stages[stage]},
    }


def _short(frame: str) -> str:
    """`func (path/to/module.py:123)` → `func (module.py)`."""
    name, _, where = frame.partition(" (")
    return f"{name} ({Path(where.rstrip(')').split(':')[0]).name})" if where else name
