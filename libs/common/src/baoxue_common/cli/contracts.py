"""`baoxue contracts generate|check`: the checked-in contract artefacts (JSON Schemas, AsyncAPI, OpenAPI).

The event artefacts come from `baoxue_contracts`, the OpenAPI documents from each service's app; that is
why generation lives in the CLI and not in the contracts package, which depends on no service code.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from baoxue_contracts import asyncapi
from baoxue_contracts.catalog import ALL_EVENTS
from baoxue_contracts.schemas import standalone_envelope_schema, standalone_event_schema

from baoxue_common import services

CONTRACTS_DIR = Path("contracts")
HINT = "run `make contracts` (baoxue contracts generate) and commit the result"


class GenerationError(RuntimeError):
    """An artefact could not be generated (e.g. a service app does not import); `changed` lists what was."""

    def __init__(self, message: str, changed: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.changed = list(changed)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the contracts command."""
    parser = commands.add_parser("contracts", help="write or check contracts/ (JSON Schema, AsyncAPI, OpenAPI)")
    parser.add_argument("action", choices=["generate", "check"], help="check writes nothing, exits 1 if stale")
    parser.add_argument("--dir", type=Path, default=CONTRACTS_DIR, help="the contracts directory (default contracts)")
    parser.set_defaults(run=_run)


def to_json(document: Any) -> str:
    """Deterministic JSON text: sorted keys, 2-space indent, UTF-8 as is, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def to_yaml(document: Any) -> str:
    """Deterministic YAML text in document order, without anchors and aliases."""
    import yaml  # only this command needs it

    class NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    return yaml.dump(document, Dumper=NoAliases, sort_keys=False, allow_unicode=True, width=10_000)


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root.parent).as_posix()


def _sync(files: dict[Path, str], owned: Sequence[tuple[Path, str]], check: bool, root: Path) -> list[str]:
    """Bring files to the given contents (or just compare); remove strays matching the owned globs."""
    changed: list[str] = []
    for path, content in files.items():
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == content:
            continue
        changed.append(_rel(path, root))
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
    for directory, pattern in owned:
        for stray in sorted(directory.glob(pattern)) if directory.is_dir() else []:
            if stray not in files:
                changed.append(_rel(stray, root))
                if not check:
                    stray.unlink()
    return changed


def event_files(root: Path) -> dict[Path, str]:
    """The event artefacts: envelope and per-event JSON Schemas, and the AsyncAPI document."""
    files = {root / "schemas" / "envelope.schema.json": to_json(standalone_envelope_schema())}
    for cls in ALL_EVENTS:
        name = f"{cls.event_type}.v{cls.schema_version}.schema.json"
        files[root / "schemas" / "events" / name] = to_json(standalone_event_schema(cls))
    files[root / "asyncapi.yaml"] = to_yaml(asyncapi.build())
    return files


def generate_events(check: bool, root: Path) -> list[str]:
    """Write or check the event artefacts; return the paths changed (or stale)."""
    owned = [(root / "schemas" / "events", "*.schema.json")]
    return _sync(event_files(root), owned, check, root)


def _load_app_factory(factory_path: str) -> Callable[[], Any]:
    module_name, _, attr = factory_path.partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    if not callable(factory):
        raise TypeError(f"{factory_path} is not callable")
    return factory  # type: ignore[no-any-return]


def openapi_files(root: Path) -> tuple[dict[Path, str], list[str]]:
    """The OpenAPI document of every service that builds, and a line for each service that failed."""
    files: dict[Path, str] = {}
    failures: list[str] = []
    for spec in services.SERVICES:
        try:
            document = _load_app_factory(spec.app_factory)().openapi()
        except Exception as exc:
            failures.append(f"{spec.name} ({spec.app_factory}): {type(exc).__name__}: {exc}")
            continue
        files[root / "openapi" / f"{spec.name}.json"] = to_json(document)
    return files, failures


def generate_openapi(check: bool, root: Path) -> list[str]:
    """Write or check <root>/openapi/<service>.json; raise GenerationError after if a service failed."""
    files, failures = openapi_files(root)
    owned = [] if failures else [(root / "openapi", "*.json")]
    changed = _sync(files, owned, check, root)
    if failures:
        listed = "".join(f"\n  {line}" for line in failures)
        raise GenerationError(f"cannot build the OpenAPI document of:{listed}", changed)
    return changed


def _run(args: argparse.Namespace) -> int:
    check, root = args.action == "check", args.dir
    if not root.is_dir():
        print(f"baoxue contracts: no directory {root} (run from the repository root or pass --dir)", file=sys.stderr)
        return 2
    changed = generate_events(check, root)
    failed = False
    try:
        changed += generate_openapi(check, root)
    except GenerationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        changed += exc.changed
        failed = True
    if check and changed:
        print("stale contract artefacts:", *changed, sep="\n  ", file=sys.stderr)
        print(HINT, file=sys.stderr)
        return 1
    for path in changed:
        print(f"wrote {path}")
    return 1 if failed else 0
