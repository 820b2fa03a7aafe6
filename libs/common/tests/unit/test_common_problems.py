"""Problem details (RFC 9457) for every error, and the body-size cap, driven through a tiny ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asyncpg.exceptions import DeadlockDetectedError
from baoxue_common.app import BodyLimit
from baoxue_common.db import make_engine, ping
from baoxue_common.errors import (
    PROBLEM_JSON,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    Unprocessable,
    install_problem_handlers,
)
from fastapi import Depends, FastAPI
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, IntegrityError

LIMIT = 100


class Item(BaseModel):
    name: str
    count: int


async def database_down() -> None:
    """A dependency reaching a database whose Unix socket is gone: a real connect, a real error."""
    engine = make_engine("postgresql://postgres@/x?host=/nonexistent-baoxue-socket-dir")
    try:
        await ping(engine)
    finally:
        await engine.dispose()


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/items")
    async def create(item: Item) -> dict[str, Any]:
        return item.model_dump()

    @app.get("/not-found")
    async def not_found() -> None:
        raise NotFound("unknown school 1101010001")

    @app.get("/conflict")
    async def conflict() -> None:
        raise Conflict("the case is not returned")

    @app.get("/forbidden")
    async def forbidden() -> None:
        raise Forbidden("scope region:120000 does not cover region 110101")

    @app.get("/unauthorized")
    async def unauthorized() -> None:
        raise Unauthorized("the token has expired")

    @app.get("/unprocessable")
    async def unprocessable() -> None:
        raise Unprocessable(
            "2 records break a rule",
            errors=[
                {"loc": ["records", 0, "student_id"], "msg": "not on this school's roll"},
                {"loc": ["records", 3, "status"], "msg": "unknown status"},
            ],
        )

    @app.get("/db-down")
    async def db_down(_: None = Depends(database_down)) -> None:
        return None

    @app.get("/db-deadlock")
    async def db_deadlock() -> None:
        raise DBAPIError("UPDATE t", {}, DeadlockDetectedError("deadlock detected"))

    @app.get("/db-duplicate")
    async def db_duplicate() -> None:
        raise IntegrityError("INSERT t", {}, Exception("duplicate key"))

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_middleware(BodyLimit, max_bytes=lambda: LIMIT)
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: Starlette re-raises unhandled errors after answering them.
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    for error in body.get("errors", []):
        assert set(error) == {"loc", "msg"}
        assert isinstance(error["loc"], list)
    return body


@pytest.mark.parametrize(
    ("path", "status", "detail"),
    [
        ("/not-found", 404, "unknown school 1101010001"),
        ("/conflict", 409, "the case is not returned"),
        ("/forbidden", 403, "scope region:120000 does not cover region 110101"),
        ("/unauthorized", 401, "the token has expired"),
    ],
)
async def test_problem_errors_become_problem_details(
    client: httpx.AsyncClient, path: str, status: int, detail: str
) -> None:
    body = assert_problem(await client.get(path), status)
    assert body["detail"] == detail
    assert "errors" not in body


async def test_unauthorized_asks_for_a_bearer_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_unprocessable_carries_one_entry_per_record(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/unprocessable"), 422)
    assert body["errors"] == [
        {"loc": ["records", 0, "student_id"], "msg": "not on this school's roll"},
        {"loc": ["records", 3, "status"], "msg": "unknown status"},
    ]


async def test_unreachable_database_is_503_with_retry_after(client: httpx.AsyncClient) -> None:
    response = await client.get("/db-down")
    assert_problem(response, 503)
    assert int(response.headers["retry-after"]) > 0


async def test_a_deadlock_victim_is_409_with_retry_after(client: httpx.AsyncClient) -> None:
    response = await client.get("/db-deadlock")
    assert_problem(response, 409)
    assert int(response.headers["retry-after"]) > 0


async def test_a_database_error_that_is_no_outage_stays_500(client: httpx.AsyncClient) -> None:
    response = await client.get("/db-duplicate")
    assert_problem(response, 500)
    assert "duplicate key" not in response.text
    assert "retry-after" not in response.headers


async def test_unexpected_error_is_500_without_internals(client: httpx.AsyncClient) -> None:
    response = await client.get("/boom")
    body = assert_problem(response, 500)
    assert "secret internals" not in response.text
    assert "retry-after" not in response.headers
    assert body["title"] == "Internal error"


@pytest.mark.parametrize(("method", "path", "status"), [("GET", "/nowhere", 404), ("DELETE", "/items", 405)])
async def test_routing_errors_are_problem_details(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    assert_problem(await client.request(method, path), status)


async def test_a_valid_body_passes(client: httpx.AsyncClient) -> None:
    response = await client.post("/items", json={"name": "a", "count": 2})
    assert response.status_code == 200
    assert response.json() == {"name": "a", "count": 2}


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        pytest.param(b'{"name": "a", "count": ', {"content-type": "application/json"}, id="truncated-json"),
        pytest.param(b"{name: a}", {"content-type": "application/json"}, id="unquoted-keys"),
        pytest.param(b"\xff\xfe\x00garbage", {}, id="bytes-without-content-type"),
        pytest.param(b"not json at all", {}, id="text-without-content-type"),
        pytest.param(b'{"name": "a", "count": 1}', {"content-type": "text/plain"}, id="json-as-text-plain"),
    ],
)
async def test_malformed_bodies_are_400(client: httpx.AsyncClient, content: bytes, headers: dict[str, str]) -> None:
    body = assert_problem(await client.post("/items", content=content, headers=headers), 400)
    assert body["title"] == "Malformed request"


@pytest.mark.parametrize(
    ("payload", "bad_fields"),
    [
        ({"name": 5, "count": 1.5}, {("body", "name"), ("body", "count")}),
        ({"name": "a"}, {("body", "count")}),
        ({}, {("body", "name"), ("body", "count")}),
        ({"name": "a", "count": [1]}, {("body", "count")}),
    ],
)
async def test_valid_json_of_the_wrong_shape_is_422_per_field(
    client: httpx.AsyncClient, payload: dict[str, Any], bad_fields: set[tuple[str, ...]]
) -> None:
    body = assert_problem(await client.post("/items", json=payload), 422)
    assert len(body["errors"]) == len(bad_fields)
    assert {tuple(e["loc"]) for e in body["errors"]} == bad_fields
    assert all(e["msg"] for e in body["errors"])


@pytest.mark.parametrize(
    ("payload", "bad_fields"),
    [
        ({"name": "a", "count": "many"}, {("body", "count")}),
        ({"name": 5, "count": "many"}, {("body", "name"), ("body", "count")}),
    ],
)
async def test_a_string_of_the_wrong_kind_is_422_per_field(
    client: httpx.AsyncClient, payload: dict[str, Any], bad_fields: set[tuple[str, ...]]
) -> None:
    body = assert_problem(await client.post("/items", json=payload), 422)
    assert {tuple(e["loc"]) for e in body["errors"]} == bad_fields


@pytest.mark.parametrize("content", [b"5", b"[1, 2]", b"null"])
async def test_valid_json_that_is_not_an_object_is_422(client: httpx.AsyncClient, content: bytes) -> None:
    assert_problem(await client.post("/items", content=content, headers={"content-type": "application/json"}), 422)


async def test_a_json_string_literal_is_well_formed_so_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/items", content=b'"hello"', headers={"content-type": "application/json"})
    assert_problem(response, 422)


async def test_declared_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    payload = {"name": "x" * LIMIT, "count": 1}
    body = assert_problem(await client.post("/items", json=payload), 413)
    assert str(LIMIT) in body["detail"]


async def test_body_of_exactly_the_limit_passes_the_cap(client: httpx.AsyncClient) -> None:
    prefix, suffix = b'{"name": "', b'", "count": 1}'
    content = prefix + b"x" * (LIMIT - len(prefix) - len(suffix)) + suffix
    assert len(content) == LIMIT
    response = await client.post("/items", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 200


async def test_streamed_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"x" * 50

    response = await client.post("/items", content=chunks(), headers={"content-type": "application/json"})
    assert_problem(response, 413)
