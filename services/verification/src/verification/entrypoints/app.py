"""The verification application (uvicorn: `verification.entrypoints.app:create_app --factory`)."""

from __future__ import annotations

from baoxue_common.app import build_app
from fastapi import FastAPI

from verification.bootstrap import SPEC, bootstrap
from verification.entrypoints.cross_checks import router as cross_check_router
from verification.entrypoints.field_findings import router as field_router
from verification.entrypoints.national import router as national_router
from verification.entrypoints.registries import router as registries_router
from verification.entrypoints.routes import router
from verification.entrypoints.school_warnings import router as warnings_router
from verification.entrypoints.verifications import router as verifications_router


def create_app() -> FastAPI:
    """Build the app; connections open in its lifespan, not here."""
    return build_app(
        SPEC,
        routers=[
            router,
            field_router,
            verifications_router,
            national_router,
            registries_router,
            cross_check_router,
            warnings_router,
        ],
        factory=bootstrap,
        description="Finds suspected dropouts from every source and has each verified (疑似辍学核实).",
    )
