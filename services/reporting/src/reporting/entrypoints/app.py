"""The reporting application (uvicorn: `reporting.entrypoints.app:create_app --factory`)."""

from __future__ import annotations

from baoxue_common.app import build_app
from fastapi import FastAPI

from reporting.bootstrap import SPEC, bootstrap
from reporting.entrypoints.reports import router as reports_router
from reporting.entrypoints.routes import router


def create_app() -> FastAPI:
    """Build the app; connections open in its lifespan, not here."""
    return build_app(
        SPEC,
        routers=[router, reports_router],
        factory=bootstrap,
        description="Indicators, the five periodic reports and each tier's live stream (统计报表).",
    )
