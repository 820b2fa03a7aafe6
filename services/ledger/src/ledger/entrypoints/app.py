"""The ledger application (uvicorn: `ledger.entrypoints.app:create_app --factory`)."""

from __future__ import annotations

from baoxue_common.app import build_app
from fastapi import FastAPI

from ledger.bootstrap import SPEC, bootstrap
from ledger.entrypoints import access_routes, case_routes, consistency_routes, timeline_routes
from ledger.entrypoints.routes import router


def create_app() -> FastAPI:
    """Build the app; connections open in its lifespan, not here."""
    return build_app(
        SPEC,
        # consistency before {ledger}: /ledgers/consistency is not a ledger's name
        routers=[
            consistency_routes.router,
            router,
            case_routes.router,
            timeline_routes.router,
            access_routes.router,
        ],
        factory=bootstrap,
        description="The county's three ledgers and every persuasion-to-return case (三本台账, 劝返复学).",
    )
