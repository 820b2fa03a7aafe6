"""Write (or check) the checked-in contract artefacts: JSON Schemas, AsyncAPI, OpenAPI per service.

Run `python -m baoxue_contracts.generate` to write them, `--check` to list stale files and exit 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from baoxue_contracts import asyncapi
from baoxue_contracts.catalog import ALL_EVENTS
from baoxue_contracts.schemas import standalone_envelope_schema, standalone_event_schema

CONTRACTS_DIR = Path(__file__).resolve().parents[2]
HINT = "run `make contracts` (python -m baoxue_contracts.generate) and commit the result"


class GenerationError(RuntimeError):
    """An artefact could not be generated (e.g. a service app does not import); `changed` lists what was."""

    def __init__(self, message: str, changed: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.changed = list(changed)


class _Dumper(yaml.SafeDumper):
    """A YAML dumper that never writes anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_json(document: Any) -> str:
    """Deterministic JSON text: sorted keys, 2-space indent, UTF-8 as is, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def to_yaml(document: Any) -> str:
    """Deterministic YAML text in document order."""
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000)


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


def event_files(root: Path = CONTRACTS_DIR) -> dict[Path, str]:
    """The event artefacts: envelope and per-event JSON Schemas, and the AsyncAPI document."""
    files = {root / "schemas" / "envelope.schema.json": to_json(standalone_envelope_schema())}
    for cls in ALL_EVENTS:
        name = f"{cls.event_type}.v{cls.schema_version}.schema.json"
        files[root / "schemas" / "events" / name] = to_json(standalone_event_schema(cls))
    files[root / "asyncapi.yaml"] = to_yaml(asyncapi.build())
    return files


def generate_events(check: bool, root: Path = CONTRACTS_DIR) -> list[str]:
    """Write or check the event artefacts; return the paths changed (or stale)."""
    owned = [(root / "schemas" / "events", "*.schema.json")]
    return _sync(event_files(root), owned, check, root)


def _load_app_factory(factory_path: str) -> Callable[[], Any]:
    module_name, _, attr = factory_path.partition(":")
    module = importlib.import_module(module_name)
    factory = getattr(module, attr)
    if not callable(factory):
        raise TypeError(f"{factory_path} is not callable")
    return factory  # type: ignore[no-any-return]


def openapi_files(root: Path = CONTRACTS_DIR) -> tuple[dict[Path, str], list[str]]:
    """The OpenAPI document of every service that builds, and a line for each service that failed."""
    from baoxue_common.services import SERVICES

    files: dict[Path, str] = {}
    failures: list[str] = []
    for spec in SERVICES:
        try:
            app = _load_app_factory(spec.app_factory)()
            document = app.openapi()
        except Exception as exc:
            failures.append(f"{spec.name} ({spec.app_factory}): {type(exc).__name__}: {exc}")
            continue
        files[root / "openapi" / f"{spec.name}.json"] = to_json(document)
    return files, failures


def generate_openapi(check: bool, root: Path = CONTRACTS_DIR) -> list[str]:
    """Write or check contracts/openapi/<service>.json; raise GenerationError after if a service failed."""
    files, failures = openapi_files(root)
    owned = [] if failures else [(root / "openapi", "*.json")]
    changed = _sync(files, owned, check, root)
    if failures:
        listed = "".join(f"\n  {line}" for line in failures)
        raise GenerationError(f"cannot build the OpenAPI document of:{listed}", changed)
    return changed


def generate(check: bool, root: Path = CONTRACTS_DIR) -> list[str]:
    """Write or check every artefact; return the paths changed (or stale)."""
    return generate_events(check, root) + generate_openapi(check, root)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: write the artefacts, or with --check list the stale ones; non-zero on stale or failure."""
    parser = argparse.ArgumentParser(prog="python -m baoxue_contracts.generate", description=__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if anything is stale")
    args = parser.parse_args(argv)
    changed = generate_events(args.check)
    failed = False
    try:
        changed += generate_openapi(args.check)
    except GenerationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        changed += exc.changed
        failed = True
    if args.check and changed:
        print("stale contract artefacts:", *changed, sep="\n  ", file=sys.stderr)
        print(HINT, file=sys.stderr)
        return 1
    for path in changed:
        print(f"wrote {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
