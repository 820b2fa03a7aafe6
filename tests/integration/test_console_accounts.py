"""The console's accounts and guards over real HTTP: lock-out and its audit lines, CSRF, cookies, disabled users
and new passwords ending sessions, `next=` kept on the site, `baoxue user` errors, the minted token naming the
person, and every failure shown as a page in words."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from baoxue_common.devstack import ServiceProcess

from tests.integration.conftest import Stack
from tests.integration.console_support import PASSWORD, add_user

COUNTY = "140226"  # 左云县: no other test's county
HOME = f"/counties/{COUNTY}"
FAILURES = 5  # BAOXUE_CONSOLE_LOCKOUT_FAILURES's default: the test stack leaves it alone


def baoxue_user(stack: Stack, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `baoxue user ...` as an operator would (the password on stdin when given)."""
    env = os.environ | stack.env | {"DATABASE_URL": stack.database_url}
    extra = ["--password-stdin"] if password is not None else []
    return subprocess.run(
        [sys.executable, "-m", "baoxue_common.cli", "user", *args, *extra],
        input=(password or "") + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@asynccontextmanager
async def browser_like(url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client that keeps cookies and does not follow redirects (the tests look at each answer)."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        yield http


async def post_login(
    http: httpx.AsyncClient, username: str, password: str = PASSWORD, next: str = ""
) -> httpx.Response:
    return await http.post("/login", data={"username": username, "password": password, "next": next})


async def signed_in(http: httpx.AsyncClient, username: str, password: str = PASSWORD) -> str:
    """Sign in and return the CSRF token the pages carry."""
    answer = await post_login(http, username, password)
    assert answer.status_code == 303, answer.text
    return csrf_of(await http.get(answer.headers["location"]))


def csrf_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {page.url}: {page.status_code}"
    return match[1]


def audit_actions(page: httpx.Response) -> list[str]:
    """The actions of the audit page's lines, newest first."""
    assert page.status_code == 200, page.text
    return re.findall(r'class="audit-line" data-action="([^"]+)"', page.text)


async def test_repeated_failures_lock_the_account_and_the_audit_log_says_so(
    stack: Stack, console: ServiceProcess
) -> None:
    await add_user(stack, "zy-locked", "左云 李强", "county_caseworker", f"region:{COUNTY}")
    await add_user(stack, "zy-admin", "左云 管理员", "admin", "admin")
    async with browser_like(console.url) as http:
        for _ in range(FAILURES):
            wrong = await post_login(http, "zy-locked", "not the password at all")
            assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
            assert "baoxue_session" not in wrong.headers.get("set-cookie", "")
        locked = await post_login(http, "zy-locked")  # the right password, too late
        assert locked.status_code == 401 and "已被锁定" in locked.text and "分钟后再试" in locked.text
        unknown = await post_login(http, "zy-nobody")
        assert unknown.status_code == 401 and "用户名或密码错误" in unknown.text, "the same words: no user enumeration"

    async with browser_like(console.url) as admin:
        await signed_in(admin, "zy-admin")
        lines = audit_actions(await admin.get("/admin/audit", params={"username": "zy-locked"}))
        assert lines == ["sign_in_locked", *["sign_in_failed"] * FAILURES, "user_added"]
        page = (await admin.get("/admin/audit", params={"username": "zy-locked", "action": "sign_in_failed"})).text
        assert "locked=True" in page and "127.0.0.1" in page and "登录失败" in page
        assert audit_actions(await admin.get("/admin/audit", params={"username": "zy-nobody"})) == ["sign_in_failed"]

        # A new password from the operator lifts the lock.
        done = baoxue_user(stack, "reset-password", "zy-locked", password="另一个足够长的密码-2026")
        assert done.returncode == 0, done.stderr
        async with browser_like(console.url) as http:
            assert (await post_login(http, "zy-locked")).status_code == 401, "the old password is gone"
            await signed_in(http, "zy-locked", "另一个足够长的密码-2026")
        lines = audit_actions(await admin.get("/admin/audit", params={"username": "zy-locked"}))
        assert lines[:3] == ["sign_in", "sign_in_failed", "password_reset"]

    async with browser_like(console.url) as http:
        await signed_in(http, "zy-locked", "另一个足够长的密码-2026")
        refused = await http.get("/admin/audit")
        assert refused.status_code == 403 and "仅限系统管理员" in refused.text


async def test_a_form_without_its_csrf_token_is_refused_and_the_cookie_is_guarded(
    stack: Stack, console: ServiceProcess
) -> None:
    await add_user(stack, "zy-csrf", "左云 赵雪", "county_caseworker", f"region:{COUNTY}")
    await add_user(stack, "zy-csrf-other", "左云 钱峰", "county_caseworker", f"region:{COUNTY}")
    async with browser_like(console.url) as http, browser_like(console.url) as other:
        answer = await post_login(http, "zy-csrf")
        cookie = answer.headers["set-cookie"].lower()
        assert cookie.startswith("baoxue_session=")
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        assert "secure" not in cookie, "plain http in tests; Secure when BAOXUE_ENV=production"
        token = csrf_of(await http.get(answer.headers["location"]))
        foreign = await signed_in(other, "zy-csrf-other")
        for data, headers in (({}, {}), ({"csrf": "forged"}, {}), ({"csrf": foreign}, {}), ({}, {"X-CSRF-Token": ""})):
            refused = await http.post("/logout", data=data, headers=headers)
            assert refused.status_code == 403 and "CSRF 校验失败" in refused.text, (data, headers)
            assert "Traceback" not in refused.text
        assert (await http.get("/")).headers["location"] == HOME, "still signed in after the refusals"
        out = await http.post("/logout", headers={"X-CSRF-Token": token})
        assert (out.status_code, out.headers["location"]) == (303, "/login")
        gone = await http.get(HOME, params={"period": "month"})
        assert (gone.status_code, gone.headers["location"]) == (303, f"/login?next={HOME}%3Fperiod%3Dmonth")
        htmx = await http.get(HOME, headers={"HX-Request": "true"})
        assert (htmx.status_code, htmx.headers["hx-redirect"]) == (401, f"/login?next={HOME}")
        page = await other.get("/login")
        assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
        assert page.headers["x-content-type-options"] == "nosniff"


async def test_disabling_a_user_or_resetting_their_password_ends_their_sessions(
    stack: Stack, console: ServiceProcess
) -> None:
    await add_user(stack, "zy-leaver", "左云 孙丽", "county_caseworker", f"region:{COUNTY}")
    async with browser_like(console.url) as laptop, browser_like(console.url) as phone:
        await signed_in(laptop, "zy-leaver")
        await signed_in(phone, "zy-leaver")
        assert baoxue_user(stack, "disable", "zy-leaver").returncode == 0
        for http in (laptop, phone):
            assert (await http.get(HOME)).headers["location"].startswith("/login")
        assert (await post_login(laptop, "zy-leaver")).status_code == 401
        assert baoxue_user(stack, "enable", "zy-leaver").returncode == 0
        await signed_in(laptop, "zy-leaver")
        await signed_in(phone, "zy-leaver")
        new = "换过的密码足够长-2026"
        assert baoxue_user(stack, "reset-password", "zy-leaver", password=new).returncode == 0
        for http in (laptop, phone):
            assert (await http.get(HOME)).headers["location"].startswith("/login")
        assert (await post_login(phone, "zy-leaver")).status_code == 401
        await signed_in(phone, "zy-leaver", new)


async def test_next_goes_only_to_a_page_of_the_console(stack: Stack, console: ServiceProcess) -> None:
    await add_user(stack, "zy-next", "左云 周明", "county_caseworker", f"region:{COUNTY}")
    async with browser_like(console.url) as http:
        form = await http.get("/login", params={"next": "//evil.example/x"})
        assert 'name="next" value=""' in form.text
        for target in (
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "javascript:x",
        ):
            answer = await post_login(http, "zy-next", next=target)
            assert (answer.status_code, answer.headers["location"]) == (303, HOME), target
        answer = await post_login(http, "zy-next", next=f"{HOME}/ledgers/dropouts?offset=50")
        assert answer.headers["location"] == f"{HOME}/ledgers/dropouts?offset=50"


async def test_baoxue_user_refuses_bad_accounts_in_words_with_exit_2(stack: Stack, console: ServiceProcess) -> None:
    add = ["add", "zy-cli", "--name", "左云 吴刚"]
    cases = [
        ([*add, "--role", "chief", "--scope", f"region:{COUNTY}"], PASSWORD, "invalid choice: 'chief'"),
        ([*add, "--role", "county_caseworker", "--scope", "school:1402260001"], PASSWORD, "needs the scope"),
        (["disable", "zy-nobody"], None, "no user 'zy-nobody'"),
    ]
    for args, password, words in cases:
        done = baoxue_user(stack, *args, password=password)
        assert (done.returncode, words in done.stderr) == (2, True), (args, done.stderr)
        assert "Traceback" not in done.stderr
    created = baoxue_user(stack, *add, "--role", "county_caseworker", "--scope", f"region:{COUNTY}", password=PASSWORD)
    assert created.returncode == 0 and "added zy-cli" in created.stdout, created.stderr
    again = baoxue_user(stack, *add, "--role", "county_approver", "--scope", f"region:{COUNTY}", password=PASSWORD)
    assert again.returncode == 2 and "exists already" in again.stderr


async def test_unknown_pages_and_bad_parameters_are_pages_in_words(stack: Stack, console: ServiceProcess) -> None:
    await add_user(stack, "zy-words", "左云 郑洁", "admin", "admin")
    async with browser_like(console.url) as http:
        signed_out = await http.get("/no/such/page")
        assert signed_out.status_code == 404 and "页面不存在" in signed_out.text
        await signed_in(http, "zy-words")
        missing = await http.get("/no/such/page")
        assert missing.status_code == 404 and "页面不存在" in missing.text and "返回首页" in missing.text
        fragment = await http.get("/no/such/page", headers={"HX-Request": "true"})
        assert fragment.status_code == 404 and "<html" not in fragment.text and "页面不存在" in fragment.text
        bad = await http.get("/admin/audit", params={"offset": "-1"})
        assert bad.status_code == 422 and "填写的内容有误" in bad.text and "offset" in bad.text
        for answer in (missing, fragment, bad):
            assert "Traceback" not in answer.text and answer.headers["content-type"].startswith("text/html")
