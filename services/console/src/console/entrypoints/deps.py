"""What the routes depend on: the runtime, the signed-in user, CSRF checks, the user's API client, rendering."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from console.adapters.services_api import UserApi
from console.bootstrap import ConsoleRuntime
from console.domain.accounts import ConsoleUser
from console.domain.navigation import home_path
from console.handlers import token_hash

SESSION_COOKIE = "baoxue_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


class SignInRequired(Exception):
    """No live session: the app redirects to the sign-in page."""


class PageError(Exception):
    """A page that cannot be shown (403, 404, 422 ...) with words for the person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True, slots=True)
class Session:
    """The signed-in user, their cookie and the CSRF token their forms carry."""

    user: ConsoleUser
    token: str
    csrf: str


def get_runtime(request: Request) -> ConsoleRuntime:
    """The runtime the lifespan built."""
    runtime: ConsoleRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[ConsoleRuntime, Depends(get_runtime)]


def client_address(request: Request) -> str | None:
    """Who is calling, for the audit log."""
    return request.client.host if request.client else None


async def current_session(request: Request, runtime: Runtime) -> Session:
    """The live session of the cookie, extended while it is used; SignInRequired otherwise."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired
    now = runtime.clock.now()
    found = await runtime.accounts.find_session(token_hash(token), now)
    if found is None:
        raise SignInRequired
    user, csrf, expires_at = found
    if expires_at - now < runtime.session_for / 2:
        await runtime.accounts.extend_session(token_hash(token), now + runtime.session_for)
    return Session(user, token, csrf)


CurrentSession = Annotated[Session, Depends(current_session)]


async def checked_session(request: Request, session: CurrentSession) -> Session:
    """The session of a state-changing request whose CSRF token (form field or htmx header) matches."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = str((await request.form()).get(CSRF_FIELD) or "")
    if not sent or not secrets.compare_digest(sent, session.csrf):
        raise PageError(403, "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试")
    return session


ActingSession = Annotated[Session, Depends(checked_session)]


def user_api(runtime: Runtime, session: CurrentSession) -> UserApi:
    """The services, called with a token minted for this user's scope and name."""
    return UserApi.mint(runtime.http, runtime.urls, runtime.settings, session.user)


Api = Annotated[UserApi, Depends(user_api)]


def ensure_region(session: Session, region: str) -> None:
    """A 403 page unless the user's scope covers the region."""
    if not session.user.covers_region(region):
        raise PageError(403, f"无权访问：您的账户管辖范围是 {session.user.scope}，不含 {region}")


def ensure_school(session: Session, school_code: str) -> None:
    """A 403 page for a school user looking at another school (region users are checked by the services)."""
    user = session.user
    if user.scope_kind == "school" and user.scope_code != school_code:
        raise PageError(403, f"无权访问：您的账户只能查看学校 {user.scope_code}")


def render(
    request: Request, session: Session | None, template: str, *, status: int = 200, **context: Any
) -> HTMLResponse:
    """A page (or an htmx fragment) with the user, CSRF token and home link in its context."""
    runtime = get_runtime(request)
    context |= {
        "user": session.user if session else None,
        "csrf": session.csrf if session else "",
        "home": home_path(session.user.scope) if session else "/login",
        "is_htmx": request.headers.get("HX-Request") == "true",
    }
    return runtime.templates.TemplateResponse(request, template, context, status_code=status)
