"""Attendance-ingest commands: one small async function per command, grouped by concern."""

from __future__ import annotations

from baoxue_common.consumer import EventHandlers

from attendance_ingest.handlers.attendance import AttendanceRecord, AttendanceResult, record_attendance
from attendance_ingest.handlers.roster import replace_roster
from attendance_ingest.handlers.schools import register_school

__all__ = [
    "EVENT_HANDLERS",
    "AttendanceRecord",
    "AttendanceResult",
    "record_attendance",
    "register_school",
    "replace_roster",
]

EVENT_HANDLERS: EventHandlers = {}
"""attendance-ingest consumes no events: it is where the data enters."""
