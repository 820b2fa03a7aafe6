"""RFC 9457 problem details for every error a service answers."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from baoxue_common.db import causes, is_retryable_conflict, is_unavailable, sqlstate

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_S = 5
# PostgreSQL "data exception" codes that a request's own values cause: text holding a NUL character
# (22021, 22P05), a number or a date out of range (22003, 22008). The transaction is rolled back.
UNSTORABLE_VALUE_SQLSTATES = frozenset({"22021", "22P05", "22003", "22008"})
CONFLICT_RETRY_AFTER_S = 1
# Where a database error surfaces (asyncpg's connect raises bare OSErrors, SQLAlchemy wraps the rest); handling
# them in the app's exception middleware answers before the server-error middleware logs a traceback per request.
DATABASE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, OSError, ExceptionGroup)


class ProblemError(Exception):
    """An error answered as problem details; raising it changes nothing (the transaction rolls back)."""

    status = 500
    title = "Internal error"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[dict[str, Any]] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.headers = headers or {}


class BadRequest(ProblemError):
    status, title = 400, "Malformed request"


class Unauthorized(ProblemError):
    status, title = 401, "Not authenticated"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="baoxue"'})


class Forbidden(ProblemError):
    status, title = 403, "Not allowed for this scope"


class NotFound(ProblemError):
    status, title = 404, "Not found"


class Conflict(ProblemError):
    status, title = 409, "Conflicting state"


class PayloadTooLarge(ProblemError):
    status, title = 413, "Payload too large"


class Unprocessable(ProblemError):
    status, title = 422, "Request breaks a rule"


class Unavailable(ProblemError):
    status, title = 503, "Service unavailable"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"Retry-After": str(RETRY_AFTER_S)})


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    errors: Sequence[dict[str, Any]] = (),
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem-details response (extension members allowed, as RFC 9457 says)."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extensions}
    if errors:
        body["errors"] = list(errors)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as problem `errors` entries: location and message."""
    return [{"loc": list(err.get("loc", ())), "msg": err.get("msg", "invalid")} for err in exc.errors()]


def _unparsed_body(err: Any) -> bool:
    """A JSON syntax error, or a whole body left as raw bytes because it could not be read as JSON."""
    whole_body = tuple(err.get("loc", ())) == ("body",)
    return err.get("type") == "json_invalid" or (whole_body and isinstance(err.get("input"), bytes))


def is_unstorable_value(exc: BaseException) -> bool:
    """Whether PostgreSQL refused a value the request carried (not a fault of the server)."""
    return any(sqlstate(cause) in UNSTORABLE_VALUE_SQLSTATES for cause in causes(exc))


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of the app as problem details."""

    @app.exception_handler(ProblemError)
    async def _problem(_: Request, exc: ProblemError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, errors=exc.errors, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc)
        if any(_unparsed_body(err) for err in exc.errors()):
            return problem(400, BadRequest.title, "the body is not a valid JSON document", errors=errors)
        return problem(422, Unprocessable.title, "the request does not match the schema", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), str(exc.detail), headers=dict(exc.headers or {}))

    async def _database(_: Request, exc: Exception) -> JSONResponse:
        answer = database_problem(exc)
        if answer is None:
            raise exc  # not an outage nor a conflict: the server-error handler below answers 500
        return answer

    for error_type in DATABASE_ERRORS:
        app.add_exception_handler(error_type, _database)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        answer = database_problem(exc)
        if answer is not None:
            return answer
        log.exception("unhandled error")
        return problem(500, "Internal error", "an unexpected error occurred; nothing was changed")


def database_problem(exc: BaseException) -> JSONResponse | None:
    """422 for a value the database cannot store, 503 while it is out of reach, 409 for a lost race; else None."""
    if is_unstorable_value(exc):
        log.warning("a request value the database cannot store: %r", exc)
        detail = "a value cannot be stored (a NUL character, or a number or date out of range); nothing was changed"
        return problem(422, Unprocessable.title, detail)
    if is_unavailable(exc):
        log.warning("database unreachable: %r", exc)
        return problem(
            503,
            Unavailable.title,
            "the database is unreachable; nothing was changed, retry",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    if is_retryable_conflict(exc):
        log.info("concurrent transaction conflict: %r", exc)
        return problem(
            409,
            Conflict.title,
            "a concurrent change conflicted with this request; nothing was changed, send it again",
            headers={"Retry-After": str(CONFLICT_RETRY_AFTER_S)},
        )
    return None
