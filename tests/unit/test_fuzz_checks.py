"""The fuzzing checks fail where they must: a 500, an undeclared 5xx, a 4xx that is not a problem detail."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
import schemathesis
from baoxue_common.errors import NotFound, install_problem_handlers
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from schemathesis import APIOperation
from schemathesis.errors import FailureGroup
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.fuzzing import fuzz_operation


class AsUvicornDoes:
    """Starlette re-raises an error after answering 500; a server logs it, it does not reach the client."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with contextlib.suppress(Exception):
            await self.app(scope, receive, send)


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/fine/{n}")
    async def fine(n: int) -> dict[str, int]:
        if n > 3:
            raise NotFound(f"no item {n}")
        return {"n": n}

    @app.get("/bare-key-error/{code}")
    async def bare_key_error(code: str) -> None:
        raise KeyError(code)

    @app.get("/plain-404")
    async def plain_404() -> JSONResponse:
        return JSONResponse({"error": "nope"}, status_code=404)

    @app.get("/wrong-status")
    async def wrong_status() -> JSONResponse:
        body = {"type": "about:blank", "title": "Gone", "status": 400, "detail": "gone"}
        return JSONResponse(body, status_code=410, media_type="application/problem+json")

    @app.get("/undeclared-503")
    async def undeclared_503() -> JSONResponse:
        body = {"type": "about:blank", "title": "Busy", "status": 503, "detail": "busy"}
        return JSONResponse(body, status_code=503, media_type="application/problem+json")

    @app.get("/declared-501", responses={501: {"description": "not built yet"}})
    async def declared_501() -> JSONResponse:
        body = {"type": "about:blank", "title": "Later", "status": 501, "detail": "not built yet"}
        return JSONResponse(body, status_code=501, media_type="application/problem+json")

    return app


def operation(path: str) -> APIOperation:
    schema: Any = schemathesis.openapi.from_asgi("/openapi.json", AsUvicornDoes(make_app()))
    return next(op for op in (r.ok() for r in schema.get_all_operations()) if op.path == path)


@pytest.mark.parametrize("path", ["/fine/{n}", "/declared-501"])
def test_problems_and_declared_statuses_pass(path: str) -> None:
    fuzz_operation(operation(path))


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("/bare-key-error/{code}", "500 Server error"),
        ("/plain-404", "404 answered as 'application/json', not problem"),
        ("/wrong-status", "body status 400 != HTTP 410"),
        ("/undeclared-503", "503 Server error"),
    ],
)
def test_a_server_error_or_a_bare_client_error_fails_the_run(path: str, found: str) -> None:
    with pytest.raises(FailureGroup) as caught:
        fuzz_operation(operation(path))
    reported = [f"{getattr(f, 'status_code', '')} {f.title}: {f.message}" for f in caught.value.exceptions]
    assert any(found in line for line in reported), reported
