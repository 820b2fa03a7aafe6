"""The four services' public APIs, called with a short-lived token minted for the signed-in user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import httpx
from baoxue_common.auth import issue_token
from baoxue_common.settings import Settings
from opentelemetry import propagate

from console.domain.accounts import ConsoleUser

Service = Literal["attendance-ingest", "verification", "ledger", "reporting"]

_STATUS_WORDS = {
    400: "请求有误",
    401: "登录已失效，请重新登录",
    403: "无权访问：超出您账户的管辖范围",
    404: "未找到",
    409: "与当前状态冲突",
    413: "文件过大",
    422: "填写的内容有误",
    429: "请求过于频繁，请稍后再试",
}


class ServiceError(Exception):
    """A service answered with an error (or not at all): a status and words for the person."""

    def __init__(self, status: int, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems or []


def _problem_lines(body: Any) -> list[str]:
    """The field-level problems of a problem-details body, as 'field: message' lines."""
    lines = []
    for err in body.get("errors") or [] if isinstance(body, dict) else []:
        if isinstance(err, dict):
            where = ".".join(str(p) for p in err.get("loc", []) if p != "body")
            lines.append(f"{where}: {err.get('msg', '')}".strip(": "))
    return lines


def error_from(response: httpx.Response) -> ServiceError:
    """A ServiceError in words from a non-2xx answer (problem details when the body has them)."""
    status = response.status_code
    words = _STATUS_WORDS.get(status, "服务暂时不可用，请稍后再试" if status >= 500 else "请求未能完成")
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    message = f"{words}（{detail}）" if isinstance(detail, str) and detail and status < 500 else words
    return ServiceError(status, message, _problem_lines(body))


@dataclass(frozen=True, slots=True)
class ServiceUrls:
    """Where each service answers."""

    by_service: dict[str, str]

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceUrls:
        return cls(
            {
                "attendance-ingest": settings.console_attendance_ingest_url,
                "verification": settings.console_verification_url,
                "ledger": settings.console_ledger_url,
                "reporting": settings.console_reporting_url,
            }
        )


class UserApi:
    """The services as one user sees them: every call carries a token of the user's scope and name."""

    def __init__(self, http: httpx.AsyncClient, urls: ServiceUrls, user: ConsoleUser, token: str) -> None:
        self.http, self.urls, self.user, self._token = http, urls, user, token

    @classmethod
    def mint(cls, http: httpx.AsyncClient, urls: ServiceUrls, settings: Settings, user: ConsoleUser) -> UserApi:
        """A client with a fresh token (minutes long) for the user's scope, naming them (`sub`)."""
        ttl = timedelta(minutes=settings.console_token_minutes)
        token = issue_token(user.scope, settings.token_secret, ttl=ttl, user=user.display_name)
        return cls(http, urls, user, token)

    def _url(self, service: Service, path: str) -> str:
        return self.urls.by_service[service].rstrip("/") + path

    async def request(self, method: str, service: Service, path: str, *, params: Any = None, json: Any = None) -> Any:
        """Call and return the JSON answer (None when empty); ServiceError for any failure."""
        try:
            response = await self.http.request(
                method, self._url(service, path), params=params, json=json, headers=self._headers()
            )
        except httpx.HTTPError:
            raise ServiceError(503, "服务暂时不可用，请稍后再试") from None
        if response.status_code >= 400:
            raise error_from(response)
        return response.json() if response.content else None

    async def get(self, service: Service, path: str, params: Any = None) -> Any:
        """GET and return the JSON."""
        return await self.request("GET", service, path, params=params)

    async def post(self, service: Service, path: str, body: Any) -> Any:
        """POST a JSON body."""
        return await self.request("POST", service, path, json=body)

    async def put(self, service: Service, path: str, body: Any) -> Any:
        """PUT a JSON body."""
        return await self.request("PUT", service, path, json=body)

    @asynccontextmanager
    async def stream(self, service: Service, path: str, params: Any = None) -> AsyncIterator[httpx.Response]:
        """A streamed GET (downloads): the open response, already checked for errors."""
        request = self.http.build_request("GET", self._url(service, path), params=params, headers=self._headers())
        try:
            response = await self.http.send(request, stream=True)
        except httpx.HTTPError:
            raise ServiceError(503, "服务暂时不可用，请稍后再试") from None
        try:
            if response.status_code >= 400:
                await response.aread()
                raise error_from(response)
            yield response
        finally:
            await response.aclose()

    def _headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._token}"}
        propagate.inject(headers)  # the service's spans continue the page's trace
        return headers
