"""The checked-in artefacts match the code (`baoxue contracts`), and the AsyncAPI document is self-consistent."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from baoxue_common.cli import contracts, main
from baoxue_common.cli.contracts import HINT, GenerationError, event_files, generate_events, generate_openapi
from baoxue_contracts import CATALOG
from baoxue_contracts.catalog import ALL_EVENTS
from baoxue_contracts.samples import SAMPLES, sample_envelope
from baoxue_contracts.topics import TOPICS

CONTRACTS_DIR = Path(__file__).resolve().parents[1]


def _stale_message(stale: list[str]) -> str:
    return "stale generated contract files (" + HINT + "):\n  " + "\n  ".join(stale)


def test_generated_files_are_current() -> None:
    stale = generate_events(check=True, root=CONTRACTS_DIR)
    assert not stale, _stale_message(stale)


def test_generated_openapi_files_are_current() -> None:
    try:
        stale = generate_openapi(check=True, root=CONTRACTS_DIR)
    except GenerationError as exc:
        pytest.fail(f"{exc}\n({HINT})")
    assert not stale, _stale_message(stale)


def test_generator_writes_checks_and_removes_strays(tmp_path: Path) -> None:
    written = generate_events(check=False, root=tmp_path)
    assert len(written) == len(CATALOG) + 2
    assert generate_events(check=True, root=tmp_path) == []
    stray = tmp_path / "schemas" / "events" / "Gone.v1.schema.json"
    stray.write_text("{}\n", encoding="utf-8")
    target = tmp_path / "asyncapi.yaml"
    target.write_text("old\n", encoding="utf-8")
    stale = generate_events(check=True, root=tmp_path)
    assert sorted(stale) == sorted(
        [f"{tmp_path.name}/asyncapi.yaml", f"{tmp_path.name}/schemas/events/Gone.v1.schema.json"]
    )
    assert target.read_text(encoding="utf-8") == "old\n" and stray.exists()
    generate_events(check=False, root=tmp_path)
    assert not stray.exists()
    assert generate_events(check=True, root=tmp_path) == []


def test_generation_is_deterministic() -> None:
    assert event_files(CONTRACTS_DIR) == event_files(CONTRACTS_DIR)
    for path, text in event_files(CONTRACTS_DIR).items():
        assert text.endswith("\n") and not text.endswith("\n\n"), path


def run_cli(*argv: str) -> int:
    """`baoxue <argv>`'s exit code."""
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    return int(exited.value.code or 0)


def test_cli_check_reports_stale_files(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(contracts, "generate_events", lambda check, root: ["contracts/asyncapi.yaml"])
    monkeypatch.setattr(contracts, "generate_openapi", lambda check, root: [])
    assert run_cli("contracts", "check", "--dir", str(CONTRACTS_DIR)) == 1
    assert "contracts/asyncapi.yaml" in capsys.readouterr().err


def test_cli_check_passes_on_the_checked_in_contracts() -> None:
    assert run_cli("contracts", "check", "--dir", str(CONTRACTS_DIR)) == 0


def test_cli_refuses_a_missing_directory(tmp_path: Path) -> None:
    assert run_cli("contracts", "check", "--dir", str(tmp_path / "nowhere")) == 2


def _asyncapi() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((CONTRACTS_DIR / "asyncapi.yaml").read_text(encoding="utf-8"))
    return document


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for item in node for r in _refs(item)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"unresolved $ref {ref}"
        node = node[part]
    return node


def test_asyncapi_is_self_consistent() -> None:
    document = _asyncapi()
    assert document["asyncapi"] == "3.0.0"
    assert document["defaultContentType"] == "application/json"
    assert document["info"]["title"] == "Baoxue events"
    for ref in _refs(document):
        _resolve(document, ref)
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {spec.name for spec in TOPICS}
    messages = document["components"]["messages"]
    for cls in ALL_EVENTS:
        message = messages[f"{cls.event_type}V{cls.schema_version}"]
        assert message["name"] == cls.event_type
        assert "kafka" in message["bindings"]
        headers = _resolve(document, message["headers"]["$ref"])
        assert {"traceparent", "tracestate"} <= set(headers["properties"])
    for operation in document["operations"].values():
        assert operation["action"] == "send"
        channel_ref = operation["channel"]["$ref"]
        for message_ref in operation["messages"]:
            assert message_ref["$ref"].startswith(channel_ref + "/messages/")
    assert "attendanceIngest_publish_attendance" in document["operations"]
    assert "baoxueCli_publish_auth" in document["operations"]


def test_asyncapi_deadletter_channel() -> None:
    document = _asyncapi()
    channel = next(c for c in document["channels"].values() if c["address"] == "deadletter.v1")
    (message_ref,) = channel["messages"].values()
    message = _resolve(document, message_ref["$ref"])
    headers = _resolve(document, message["headers"]["$ref"])["properties"]
    expected = {"dlq-reason", "dlq-source-topic", "dlq-source-partition", "dlq-source-offset", "dlq-consumer-group"}
    assert expected <= set(headers)
    assert _resolve(document, message["payload"]["$ref"])["format"] == "binary"


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.__name__)
def test_event_schema_files_describe_the_samples(cls: Any) -> None:
    path = CONTRACTS_DIR / "schemas" / "events" / f"{cls.event_type}.v{cls.schema_version}.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["properties"]["event_type"]["const"] == cls.event_type
    assert schema["properties"]["schema_version"]["const"] == cls.schema_version
    payload = schema["properties"]["payload"]
    assert set(payload["properties"]) == set(cls.model_fields)
    message = sample_envelope(SAMPLES[(cls.event_type, cls.schema_version)]).model_dump(mode="json")
    assert set(schema["required"]) <= set(message) <= set(schema["properties"])
    assert set(payload.get("required", [])) <= set(message["payload"]) <= set(payload["properties"])
    for ref in _refs(schema):
        _resolve(schema, ref)


def test_cli_writes_events_even_when_openapi_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []

    def events(check: bool, root: Path) -> list[str]:
        calls.append(check)
        return ["contracts/asyncapi.yaml"]

    def openapi(check: bool, root: Path) -> list[str]:
        raise GenerationError("cannot build the OpenAPI document of: x")

    monkeypatch.setattr(contracts, "generate_events", events)
    monkeypatch.setattr(contracts, "generate_openapi", openapi)
    assert run_cli("contracts", "generate", "--dir", str(CONTRACTS_DIR)) == 1
    assert calls == [False]


def test_openapi_documents_come_from_each_service_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from baoxue_common import services

    package = tmp_path / "src" / "fake_service" / "entrypoints"
    package.mkdir(parents=True)
    (package.parent / "__init__.py").write_text("", encoding="utf-8")
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "app.py").write_text(
        "from fastapi import FastAPI\n\n\ndef create_app() -> FastAPI:\n"
        "    app = FastAPI(title='fake')\n    app.get('/healthz')(lambda: {'ok': True})\n    return app\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    for name in ("fake_service", "fake_service.entrypoints", "fake_service.entrypoints.app"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setattr(services, "SERVICES", (services.ServiceSpec("fake-service", "fake_service", 9999),))
    root = tmp_path / "contracts"
    assert generate_openapi(check=False, root=root) == ["contracts/openapi/fake-service.json"]
    document = json.loads((root / "openapi" / "fake-service.json").read_text(encoding="utf-8"))
    assert "/healthz" in document["paths"]
    assert generate_openapi(check=True, root=root) == []

    monkeypatch.setattr(services, "SERVICES", (services.ServiceSpec("missing", "no_such_service", 9998),))
    with pytest.raises(GenerationError, match="missing"):
        generate_openapi(check=True, root=root)
