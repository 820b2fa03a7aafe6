"""Verification rules: who verifies by when, which outcomes are refused, and the daily sweep loop."""

from __future__ import annotations

import asyncio
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from verification import sweeps
from verification.domain.verifications import Verdict, assigned_to, due_on, same_verdict, verdict_problems

FLAGGED, TODAY = date(2026, 10, 5), date(2026, 10, 12)


def test_the_school_verifies_its_pupil_and_the_county_a_child_without_one() -> None:
    assert (assigned_to("1201030041"), assigned_to(None)) == ("school", "county")


def test_the_deadline_counts_calendar_days_across_weekends_and_months() -> None:
    assert due_on(date(2026, 10, 30), 10) == date(2026, 11, 9)


@pytest.mark.parametrize(
    ("verdict", "fields"),
    [
        (Verdict("cleared", "李", TODAY, reason="returned"), []),
        (Verdict("confirmed_dropout", "李", TODAY, cause="work"), []),
        (Verdict("confirmed_dropout", "李", FLAGGED), []),
        (Verdict("cleared", "李", TODAY), ["reason"]),
        (Verdict("cleared", "李", TODAY, reason="attendance_corrected"), ["reason"]),
        (Verdict("cleared", "李", TODAY, reason="returned", cause="work"), ["cause"]),
        (Verdict("confirmed_dropout", "李", TODAY, reason="returned"), ["reason"]),
        (Verdict("confirmed_dropout", "李", TODAY, cause="laziness"), ["cause"]),
        (Verdict("confirmed_dropout", "李", date(2026, 10, 13)), ["verified_on"]),
        (Verdict("confirmed_dropout", "李", date(2026, 10, 4)), ["verified_on"]),
    ],
)
def test_an_outcome_is_refused_for_each_wrong_field(verdict: Verdict, fields: list[str]) -> None:
    assert [name for name, _ in verdict_problems(verdict, FLAGGED, TODAY)] == fields


def test_only_the_identical_outcome_is_a_retry() -> None:
    stored = Verdict("cleared", "李", TODAY, reason="returned", note="回校")
    assert same_verdict(stored, Verdict("cleared", "李", TODAY, reason="returned", note="回校"))
    assert not same_verdict(stored, Verdict("cleared", "李", TODAY, reason="transferred", note="回校"))
    assert not same_verdict(stored, Verdict("confirmed_dropout", "李", TODAY))


async def test_the_loop_sweeps_once_per_local_day(monkeypatch: pytest.MonkeyPatch) -> None:
    today = [date(2026, 10, 12)]
    seen: list[tuple[Any, date]] = []
    swept = asyncio.Event()

    async def fake_sweep(uow: Any, today: date, *, counties: Any = None) -> int:
        seen.append((uow, today))
        swept.set()
        return 1

    monkeypatch.setattr(sweeps, "SWEEPS", [fake_sweep])
    runtime: Any = SimpleNamespace(clock=SimpleNamespace(today=lambda: today[0]), uow=lambda: "uow")
    loop = sweeps.SweepLoop(runtime, interval_s=0.01)
    running = asyncio.create_task(loop.run())
    await asyncio.wait_for(swept.wait(), 5)
    swept.clear()
    await asyncio.sleep(0.1)  # ten looks on the same day
    assert seen == [("uow", date(2026, 10, 12))]
    today[0] = date(2026, 10, 13)
    await asyncio.wait_for(swept.wait(), 5)
    loop.stop()
    await asyncio.wait_for(running, 5)
    assert seen == [("uow", date(2026, 10, 12)), ("uow", date(2026, 10, 13))]
