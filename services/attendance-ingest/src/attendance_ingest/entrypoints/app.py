"""The attendance-ingest application (uvicorn: `attendance_ingest.entrypoints.app:create_app --factory`)."""

from __future__ import annotations

from baoxue_common.app import build_app
from fastapi import FastAPI

from attendance_ingest.bootstrap import SPEC, bootstrap
from attendance_ingest.entrypoints import attendance, calendars, pupils, schools, transfers


def create_app() -> FastAPI:
    """Build the app; connections open in its lifespan, not here."""
    return build_app(
        SPEC,
        routers=[
            schools.router,
            attendance.router,
            calendars.router,
            calendars.school_router,
            pupils.router,
            transfers.router,
        ],
        factory=bootstrap,
        description="Schools, rolls and daily attendance from school information systems (到校日报告).",
    )
