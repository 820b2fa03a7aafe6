"""The administrator's pages: the console's audit log (sign-ins, failures, lock-outs, account changes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from console.domain.accounts import Role
from console.entrypoints.deps import CurrentSession, PageError, Runtime, render

router = APIRouter(tags=["admin"])
PAGE = 50

ACTION_LABELS = {
    "sign_in": "登录",
    "sign_in_failed": "登录失败",
    "sign_in_locked": "锁定中尝试登录",
    "sign_out": "退出",
    "user_added": "新建账户",
    "user_disabled": "停用账户",
    "user_enabled": "启用账户",
    "password_reset": "重置密码",
}


@router.get("/admin/audit", response_class=HTMLResponse)
async def audit_log(
    request: Request,
    runtime: Runtime,
    session: CurrentSession,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    username: Annotated[str, Query(max_length=64)] = "",
    action: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    """The audit log, newest first, a page at a time; only for administrators."""
    if session.user.role != Role.ADMIN:
        raise PageError(403, "无权访问：审计日志仅限系统管理员查看")
    total, lines = await runtime.accounts.audit_page(
        offset=offset, limit=PAGE, username=username.strip() or None, action=action or None
    )
    for line in lines:  # stored in UTC, shown in the platform's local time
        line["at"] = line["at"].astimezone(runtime.settings.zone)
    return render(
        request,
        session,
        "admin/audit.html",
        lines=lines,
        total=total,
        offset=offset,
        page=PAGE,
        username=username,
        action=action,
        actions=ACTION_LABELS,
    )
