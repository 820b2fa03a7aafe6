"""The console's FastAPI application: pages, static files, health, and errors shown as pages in words."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from baoxue_common.app import BodyLimit
from baoxue_common.logs import configure_logging
from baoxue_common.settings import get_settings
from baoxue_common.telemetry import prefer_stable_http_semconv, setup_telemetry
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.exceptions import HTTPException

from console.adapters.services_api import ServiceError
from console.bootstrap import SPEC, STATIC_DIR, bootstrap
from console.entrypoints import admin, auth_routes, cases, county, region, school, timeline, verifications
from console.entrypoints.deps import PageError, SignInRequired, current_session, render
from console.entrypoints.security_headers import SecurityHeaders

log = logging.getLogger(__name__)
ROUTERS = (
    auth_routes.router,
    county.router,
    cases.router,
    verifications.router,
    timeline.router,
    school.router,
    region.router,
    admin.router,
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build the runtime at start-up, close it at shutdown."""
    settings = get_settings()
    configure_logging(SPEC.name, settings.log_level)
    telemetry = setup_telemetry(SPEC.name, settings.otlp_endpoint)
    app.state.runtime = bootstrap(settings, telemetry)
    try:
        yield
    finally:
        await app.state.runtime.stop()
        telemetry.shutdown()


def create_app() -> FastAPI:
    """The console app (uvicorn --factory)."""
    app = FastAPI(
        title="Baoxue console (保学工作台)", version="1.0.0", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False, response_model=None)
    async def readyz(request: Request) -> JSONResponse:
        checks = await request.app.state.runtime.ready()
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)

    for router in ROUTERS:
        app.include_router(router)
    install_error_pages(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, max_bytes=lambda: get_settings().max_body_bytes)  # uploads: 413 before parsing
    prefer_stable_http_semconv()
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,static")
    return app


async def _page(request: Request, status: int, message: str, problems: list[str] | None = None) -> Response:
    try:
        session = await current_session(request, request.app.state.runtime)
    except Exception:  # an error page is shown signed-out when the session cannot be read
        session = None
    template = "partials/error.html" if request.headers.get("HX-Request") == "true" else "error.html"
    return render(
        request, session, template, status=status, status_code=status, message=message, problems=problems or []
    )


def install_error_pages(app: FastAPI) -> None:
    """Every failure becomes a page (or an htmx fragment) in Chinese, never a stack trace."""

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _: SignInRequired) -> Response:
        target = "/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        if request.headers.get("HX-Request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        return await _page(request, exc.status, exc.message)

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> Response:
        return await _page(request, exc.status, exc.message, exc.problems)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [f"{'.'.join(str(p) for p in e.get('loc', [])[1:])}: {e.get('msg', '')}" for e in exc.errors()]
        return await _page(request, 422, "填写的内容有误", problems)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        words = {404: "页面不存在", 405: "不支持的操作"}.get(exc.status_code, "请求未能完成")
        return await _page(request, exc.status_code, words)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("console page failed: %s %s", request.method, request.url.path)
        return await _page(request, 500, "系统内部错误，请稍后再试；如持续出现请联系管理员")
