"""The supervisor of background loops: back-off while crashing, reset after a healthy run."""

from __future__ import annotations

from baoxue_common.supervision import supervise


class Script:
    """A loop that runs for the scripted durations (fake clock) and crashes after each; None returns."""

    def __init__(self, durations: list[float | None]) -> None:
        self.durations = iter(durations)
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    async def run(self) -> None:
        duration = next(self.durations)
        if duration is None:
            return
        self.now += duration
        raise ConnectionError("broker unreachable")


async def test_backoff_doubles_up_to_the_cap_while_the_loop_keeps_crashing() -> None:
    script = Script([0.0] * 7 + [None])
    await supervise("loop", script.run, stopping=lambda: False, sleep=script.sleep, clock=script.clock)
    assert script.waits == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


async def test_backoff_resets_once_the_loop_ran_well_for_a_while() -> None:
    script = Script([0.0, 0.0, 0.0, 0.0, 0.0, 45.0, 0.0, 0.0, None])
    await supervise(
        "loop", script.run, stopping=lambda: False, healthy_after_s=30.0, sleep=script.sleep, clock=script.clock
    )
    assert script.waits == [0.5, 1.0, 2.0, 4.0, 8.0, 0.5, 1.0, 2.0]


async def test_a_short_run_does_not_reset_the_backoff() -> None:
    script = Script([0.0, 0.0, 0.0, 29.0, None])
    await supervise(
        "loop", script.run, stopping=lambda: False, healthy_after_s=30.0, sleep=script.sleep, clock=script.clock
    )
    assert script.waits == [0.5, 1.0, 2.0, 4.0]


async def test_stops_restarting_once_stopping() -> None:
    script = Script([0.0] * 10)
    await supervise("loop", script.run, stopping=lambda: len(script.waits) >= 2, sleep=script.sleep, clock=script.clock)
    assert script.waits == [0.5, 1.0]
