"""The FastAPI application every service builds: lifespan, health, problem details, body cap, tracing."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from baoxue_common.errors import PayloadTooLarge, install_problem_handlers, problem
from baoxue_common.logs import configure_logging
from baoxue_common.runtime import ServiceFactory, ServiceRuntime
from baoxue_common.services import ServiceSpec
from baoxue_common.settings import get_settings
from baoxue_common.telemetry import prefer_stable_http_semconv, setup_telemetry

draining = threading.Event()
"""Set when the server begins to shut down: long-lived responses (server-sent events) end on it, so that
uvicorn, which waits for open responses before the lifespan's shutdown, is not held up by them."""


def build_app(spec: ServiceSpec, *, routers: Sequence[APIRouter], factory: ServiceFactory, description: str) -> FastAPI:
    """An app whose lifespan builds the runtime (no I/O before start-up)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = get_settings()
        configure_logging(spec.name, settings.log_level)
        telemetry = setup_telemetry(spec.name, settings.otlp_endpoint)
        runtime = await factory(settings, telemetry)
        app.state.runtime = runtime
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()
            telemetry.shutdown()

    app = FastAPI(
        title=f"Baoxue {spec.name}",
        description=description,
        version="1.0.0",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    app.include_router(health_router())
    for router in routers:
        app.include_router(router)
    app.add_middleware(BodyLimit, max_bytes=lambda: get_settings().max_body_bytes)
    prefer_stable_http_semconv()
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz")
    return app


def health_router() -> APIRouter:
    """`/healthz` (alive) and `/readyz` (database and broker reachable), without a token."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="The database and the broker are reachable", response_model=None)
    async def readyz(request: Request) -> JSONResponse | dict[str, object]:
        runtime: ServiceRuntime = request.app.state.runtime
        checks = await runtime.ready()
        if all(v == "ok" for v in checks.values()):
            return {"status": "ok", "checks": checks}
        return problem(503, "Not ready", "a dependency is unreachable", headers={"Retry-After": "5"}, checks=checks)

    return router


class BodyLimit:
    """Refuse bodies above the limit with 413 before they are parsed."""

    def __init__(self, app: ASGIApp, max_bytes: Callable[[], int]) -> None:
        self.app = app
        self._max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._max_bytes()
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(limit, scope, receive, send)
            return
        if declared is not None:
            await self.app(scope, receive, send)
            return
        # No declared length (chunked): read up to the limit first, so an oversized body is refused before parsing.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                await _too_large(limit, scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


async def _too_large(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    response = problem(413, PayloadTooLarge.title, f"the body exceeds {limit} bytes")
    await response(scope, receive, send)
