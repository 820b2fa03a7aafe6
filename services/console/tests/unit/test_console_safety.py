"""The console's guards that need no server: `next=` targets, service errors in words, minted tokens."""

from __future__ import annotations

import httpx
import pytest
from baoxue_common.auth import decode_token
from baoxue_common.settings import Settings
from console.adapters.services_api import ServiceUrls, UserApi, error_from
from console.domain.accounts import ConsoleUser, Role
from console.entrypoints.auth_routes import _safe_next

SECRET = "s" * 48


@pytest.mark.parametrize("target", ["/counties/140226", "/cases/abc?tab=steps#top", "/counties/140226/ledgers/x?a=1"])
def test_a_path_of_this_site_is_a_place_to_go_after_signing_in(target: str) -> None:
    assert _safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "javascript:alert(1)",
        "counties/140226",
        "http:/evil.example",
    ],
)
def test_anywhere_else_is_refused(target: str | None) -> None:
    assert _safe_next(target) is None


def test_a_service_problem_is_shown_in_words_with_its_detail_and_fields() -> None:
    body = {"detail": "case is closed", "errors": [{"loc": ["body", "reason"], "msg": "field required"}]}
    error = error_from(httpx.Response(409, json=body))
    assert (error.status, error.message) == (409, "与当前状态冲突（case is closed）")
    assert error.problems == ["reason: field required"]


def test_a_server_error_says_try_later_and_leaks_nothing() -> None:
    error = error_from(httpx.Response(500, json={"detail": "Traceback: psycopg.OperationalError at db:5432"}))
    assert error.message == "服务暂时不可用，请稍后再试"
    error = error_from(httpx.Response(502, text="<html>bad gateway</html>"))
    assert (error.status, error.message, error.problems) == (502, "服务暂时不可用，请稍后再试", [])


def test_the_minted_token_carries_the_users_scope_and_name() -> None:
    settings = Settings(_env_file=None, env="test", token_secret=SECRET)  # type: ignore[call-arg]
    person = ConsoleUser("zy-caseworker", "左云 王芳", Role.COUNTY_CASEWORKER, "region:140226")
    api = UserApi.mint(httpx.AsyncClient(), ServiceUrls.from_settings(settings), settings, person)
    principal = decode_token(api._token, SECRET)
    assert (principal.scope, principal.sub, principal.actor) == ("region:140226", "左云 王芳", "左云 王芳")
    minutes = (principal.expires_at - principal.expires_at.now(principal.expires_at.tzinfo)).total_seconds() / 60
    assert 0 < minutes <= settings.console_token_minutes
