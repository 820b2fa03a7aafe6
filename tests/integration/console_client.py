"""A console user over plain HTTP: sign in through the form, keep the cookie, send the CSRF token on changes."""

from __future__ import annotations

import re

import httpx
from baoxue_common.devstack import ServiceProcess

from tests.integration.console_support import PASSWORD

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def console_client(console: ServiceProcess) -> httpx.AsyncClient:
    """A client of the console (use it in `async with`, then `sign_in`)."""
    return httpx.AsyncClient(base_url=console.url, timeout=30)


async def sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.AsyncClient:
    """Sign the client in: it keeps the session cookie, and its CSRF token in `headers`."""
    r = await client.post("/login", data={"username": username, "password": password, "next": ""})
    assert r.status_code == 303, r.text
    home = await client.get(r.headers["location"])
    assert home.status_code == 200, home.text
    found = _CSRF.search(home.text)
    assert found, "every signed-in page carries the CSRF token"
    client.headers["X-CSRF-Token"] = found[1]
    return client


def visible(html: str) -> str:
    """The page's text without tags, for asserting on words."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
