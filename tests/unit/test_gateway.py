"""The nginx gateway routes every path of API.md's table to the service that answers it, and the rest to the console.

There is no nginx here: the config is parsed as written and nginx's `location` choice is emulated
(exact, then the longest prefix, `^~`, then regexes in file order), which is why nginx.conf keeps
to those forms.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from baoxue_common.services import CONSOLE, DEPLOYABLES, SERVICES
from baoxue_common.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
NGINX_CONF = ROOT / "deploy" / "gateway" / "nginx.conf"
APP_NAMES = [s.name for s in SERVICES]


@dataclass
class Directive:
    name: str
    args: list[str]
    block: list[Directive] | None = field(default=None)

    def children(self, name: str) -> list[Directive]:
        return [d for d in self.block or [] if d.name == name]

    def child(self, name: str) -> Directive:
        found = self.children(name)
        assert len(found) == 1, f"expected one {name} in {self.name} {self.args}, found {len(found)}"
        return found[0]


def nginx_tokens(text: str) -> Iterator[str]:
    for m in re.finditer(r"#[^\n]*|[{};]|'(?:\\.|[^'])*'|\"(?:\\.|[^\"])*\"|[^\s{};]+", text):
        token = m[0]
        if token.startswith("#"):
            continue
        yield re.sub(r"\\(.)", r"\1", token[1:-1]) if token[0] in "'\"" else token


def parse_nginx(text: str) -> Directive:
    tokens = list(nginx_tokens(text))
    pos = 0

    def block() -> list[Directive]:
        nonlocal pos
        out: list[Directive] = []
        while pos < len(tokens) and tokens[pos] != "}":
            words: list[str] = []
            while tokens[pos] not in ("{", ";"):
                words.append(tokens[pos])
                pos += 1
            pos += 1
            if tokens[pos - 1] == "{":
                out.append(Directive(words[0], words[1:], block()))
                assert tokens[pos] == "}"
                pos += 1
            else:
                out.append(Directive(words[0], words[1:]))
        return out

    root = Directive("main", [], block())
    assert pos == len(tokens), "unbalanced braces in nginx.conf"
    return root


@pytest.fixture(scope="module")
def nginx() -> Directive:
    return parse_nginx(NGINX_CONF.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def server(nginx: Directive) -> Directive:
    return nginx.child("http").child("server")


def location_modifier(loc: Directive) -> tuple[str, str]:
    return (loc.args[0], loc.args[1]) if len(loc.args) == 2 else ("", loc.args[0])


def match_location(server: Directive, path: str) -> Directive | None:
    """nginx's choice of location for a URI (no nested locations, which the config avoids)."""
    locations = [loc for loc in server.children("location") if not loc.args[0].startswith("@")]
    for loc in locations:
        if location_modifier(loc) == ("=", path):
            return loc
    prefixes = [loc for loc in locations if location_modifier(loc)[0] in ("", "^~")]
    for loc in prefixes:
        # A proxied prefix ending in "/" makes nginx answer its slash-less form with a 301 to it.
        if loc.args[-1] == f"{path}/" and loc.children("proxy_pass"):
            return Directive("location", ["=", path], [Directive("return", ["301", f"{path}/"])])
    best = max(
        (loc for loc in prefixes if path.startswith(loc.args[-1])), key=lambda loc: len(loc.args[-1]), default=None
    )
    if best is not None and location_modifier(best)[0] == "^~":
        return best
    for loc in locations:
        modifier, pattern = location_modifier(loc)
        if modifier in ("~", "~*") and re.search(pattern, path, re.IGNORECASE if modifier == "~*" else 0):
            return loc
    return best


def upstream_hosts(nginx: Directive) -> dict[str, str]:
    out = {}
    for up in nginx.child("http").children("upstream"):
        (server_line,) = up.children("server")
        out[up.args[0]] = server_line.args[0].partition(":")[0]
    return out


def route(nginx: Directive, server: Directive, path: str) -> str:
    """The compose service a request path reaches, or `return <status>` for the gateway itself."""
    loc = match_location(server, path.split("?")[0])
    assert loc is not None, f"no location matches {path}"
    if loc.children("proxy_pass"):
        m = re.fullmatch(r"http://([\w-]+)", loc.child("proxy_pass").args[0])
        assert m, f"{loc.args}: proxy_pass to an upstream, without a URI part"
        return upstream_hosts(nginx)[m[1]]
    return f"return {loc.child('return').args[0]}"


# Paths whose prefixes are shared between services, and what the gateway answers itself.
ROUTES = [
    ("/v1/regions/110101/calendar", "attendance-ingest"),
    ("/v1/regions/110101/rules", "verification"),
    ("/v1/counties/110101/registries/household", "verification"),
    ("/v1/counties/110101/cross-checks/cc-1", "verification"),
    ("/v1/counties/110101/verifications?status=overdue", "verification"),
    ("/v1/counties/110101/ledgers/school-age?format=csv", "ledger"),
    ("/v1/students/G110101201501011234/timeline", "ledger"),
    ("/v1/stats/110101/stream", "reporting"),
    ("/healthz", "return 200"),
    ("/v1/cases", "return 301"),
    ("/v1/unknown", "return 404"),
    ("/v1/counties/110101/unknown", "return 404"),
    ("/v1/regions/110101/unknown", "return 404"),
    ("/", CONSOLE.name),
    ("/login?next=/counties/110101", CONSOLE.name),
    ("/counties/110101/ledgers/suspected", CONSOLE.name),
    ("/cases/0b6c3a53-2a4f-4a55-9a4e-7f0d7c2a9e11", CONSOLE.name),
    ("/admin/audit", CONSOLE.name),
    ("/static/htmx.min.js", CONSOLE.name),
    ("/static", "return 301"),
]


@pytest.mark.parametrize(("path", "expected"), ROUTES)
def test_gateway_routes(nginx: Directive, server: Directive, path: str, expected: str) -> None:
    assert route(nginx, server, path) == expected


def api_md() -> Path | None:
    candidates = [Path(os.environ["BAOXUE_API_SPEC"])] if os.environ.get("BAOXUE_API_SPEC") else []
    candidates += [parent / "shared" / "spec" / "API.md" for parent in ROOT.parents]
    return next((c for c in candidates if c.is_file()), None)


def api_table_paths(text: str) -> list[tuple[str, str]]:
    """(sample path, service) for every path pattern in API.md's "Which service answers what" table."""
    out = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] not in APP_NAMES:
            continue
        base = ""
        for pattern in re.findall(r"`([^`]+)`", cells[2]):
            if pattern.startswith("..."):
                pattern = base + pattern[3:]
            else:
                m = re.match(r"(.*\})/", pattern)
                base = m[1] if m else base
            out.append((re.sub(r"\{[^}]+\}", "110101", pattern).replace("...", "x"), cells[0]))
    return out


def test_gateway_routes_every_path_of_api_md(nginx: Directive, server: Directive) -> None:
    spec = api_md()
    if spec is None:
        pytest.skip("API.md not found (set BAOXUE_API_SPEC to its path)")
    table = api_table_paths(spec.read_text(encoding="utf-8"))
    assert {svc for _, svc in table} == set(APP_NAMES), table
    wrong = [(path, svc, route(nginx, server, path)) for path, svc in table if route(nginx, server, path) != svc]
    assert not wrong, f"gateway routes differ from API.md: {wrong}"


def test_gateway_reaches_the_services_and_takes_what_they_take(nginx: Directive, server: Directive) -> None:
    hosts = upstream_hosts(nginx)
    assert sorted(set(hosts.values())) == sorted(s.name for s in DEPLOYABLES)
    for loc in server.children("location"):
        assert not loc.children("location"), "no nested locations (the test emulates a flat list)"
        # proxy_set_header in a location would replace *all* server-level ones there.
        assert not loc.children("proxy_set_header"), f"location {loc.args}: set headers at server level"
    headers = {d.args[0].lower() for d in server.children("proxy_set_header")}
    assert not headers & {"authorization", "traceparent", "tracestate"}, "these pass through untouched"
    size = server.child("client_max_body_size").args[0].lower()
    size_bytes = int(size.rstrip("kmg")) * {"k": 1024, "m": 1024**2, "g": 1024**3}.get(size[-1], 1)
    assert size_bytes >= Settings.model_fields["max_body_bytes"].default, (
        "the gateway must not refuse bodies the services accept"
    )
    stream = match_location(server, "/v1/stats/110101/stream")
    assert stream is not None and stream.child("proxy_buffering").args == ["off"], "server-sent events"
    gateway = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]["gateway"]
    listen = server.child("listen").args[0].rsplit(":", 1)[-1]
    assert any(str(port).endswith(f":{listen}") for port in gateway["ports"]), (
        "compose publishes the port nginx listens on"
    )
    assert any(str(v).startswith("./deploy/gateway/nginx.conf:/etc/nginx/nginx.conf") for v in gateway["volumes"])
