"""The contracts package stands alone: no module of it imports libs/common or a service, even lazily."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import baoxue_contracts

PACKAGE_DIR = Path(baoxue_contracts.__file__).parent
PLATFORM = ("baoxue_common", "attendance_ingest", "verification", "ledger", "reporting")

IMPORT_EVERY_MODULE = """
import importlib, json, pkgutil, sys
import baoxue_contracts
names = [m.name for m in pkgutil.walk_packages(baoxue_contracts.__path__, "baoxue_contracts.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": names, "loaded": sorted(sys.modules)}))
"""


def test_importing_every_module_in_a_fresh_interpreter_loads_no_platform_code() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERY_MODULE], capture_output=True, text=True, check=True, timeout=120
    )
    result = json.loads(done.stdout)
    assert len(result["modules"]) >= 10, result["modules"]
    loaded = [m for m in result["loaded"] if m.split(".")[0] in PLATFORM]
    assert loaded == [], f"baoxue_contracts pulled in {loaded}"


def test_no_module_imports_platform_code_even_inside_a_function() -> None:
    found: list[str] = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found += [f"{path.name}:{node.lineno} {n}" for n in names if n.split(".")[0] in PLATFORM]
    assert found == [], found
