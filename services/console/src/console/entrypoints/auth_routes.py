"""Sign-in, sign-out and the landing redirect."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console.domain.navigation import home_path
from console.entrypoints.deps import (
    SESSION_COOKIE,
    ActingSession,
    CurrentSession,
    Runtime,
    client_address,
    render,
)
from console.handlers import SignInRefused, sign_in, sign_out

router = APIRouter(tags=["sign-in"])


def _safe_next(target: str | None) -> str | None:
    """Only a path of this site (no scheme, no host) is a place to go after signing in."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    # Browsers read a backslash as a slash and drop tabs and newlines: "/<backslash>evil.example" leaves the site.
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


@router.get("/", include_in_schema=False)
async def landing(session: CurrentSession) -> RedirectResponse:
    """The user's own home page."""
    return RedirectResponse(home_path(session.user.scope), status_code=303)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form."""
    return render(request, None, "login.html", next=_safe_next(next) or "", error=None, username="")


@router.post("/login", response_model=None)
async def login(
    request: Request,
    runtime: Runtime,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Check the password; on success set the session cookie and go on."""
    if not username or not password:
        error = "请输入用户名和密码"
        return render(request, None, "login.html", status=422, next=next, error=error, username=username)
    try:
        signed = await sign_in(
            runtime.accounts,
            runtime.lockout,
            username=username.strip(),
            password=password,
            now=runtime.clock.now(),
            session_for=runtime.session_for,
            client=client_address(request),
        )
    except SignInRefused as refused:
        return render(request, None, "login.html", status=401, next=next, error=str(refused), username=username)
    response = RedirectResponse(_safe_next(next) or home_path(signed.user.scope), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signed.token,
        max_age=int(runtime.session_for.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=runtime.secure_cookies,
        path="/",
    )
    return response


@router.post("/logout")
async def logout(request: Request, runtime: Runtime, session: ActingSession) -> RedirectResponse:
    """End the session and clear the cookie."""
    await sign_out(runtime.accounts, session.user, session.token, client_address(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
