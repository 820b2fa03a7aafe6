"""`baoxue dev` keeps the stack up when one service dies, and Ctrl-C still leaves no process behind."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from baoxue_common.devstack import free_port, port_is_open
from baoxue_common.services import DEPLOYABLES as SERVICES

from tests.integration.conftest import DATA


def free_port_base() -> int:
    """A base whose base+1 .. base+4 can be bound, below the ephemeral range (outgoing connections take those)."""
    for _ in range(100):
        base = random.randrange(20_000, 30_000)
        if all(_bindable(base + s.port - 8000) for s in SERVICES):
            return base
    raise RuntimeError("no free block of ports")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class DevOutput:
    """What `baoxue dev` printed so far (read from its output file)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, pattern: str, process: subprocess.Popen[bytes], timeout_s: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if match := re.search(pattern, self.text):
                return match
            assert process.poll() is None, f"baoxue dev exited with {process.returncode}:\n{self.text}"
            time.sleep(0.2)
        raise AssertionError(f"no {pattern!r} in {timeout_s}s:\n{self.text}")


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by a parent that is itself gone) is not running.
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split(") ", 1)[1][:1] != "Z"


def processes_naming(text: str) -> list[int]:
    """Running processes whose command line contains a text."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmdline and alive(int(proc.name)):
                found.append(int(proc.name))
    return found


def test_a_killed_service_is_restarted_and_ctrl_c_stops_everything() -> None:
    data = DATA / "dev"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    base, broker_port = free_port_base(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    out = DevOutput(data / "dev.out")
    argv = [sys.executable, "-m", "baoxue_common.cli", "dev", "--data-dir", str(data)]
    argv += ["--broker-port", str(broker_port), "--port-base", str(base)]
    children: list[int] = []

    def left_behind() -> list[int]:
        """Services (by pid), PostgreSQL (its data directory) and the broker (its listener) still running."""
        found = [pid for pid in children if alive(pid)] + processes_naming(str(data / "pg"))
        return sorted(set(found + processes_naming(f"127.0.0.1:{broker_port}")))

    with out.path.open("wb") as sink:
        dev = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        out.wait_for(r"press Ctrl-C", dev, timeout_s=180)
        listed = re.findall(r"^\s+(\S+)\s+(http://\S+)\s+\(pid (\d+)", out.text, re.M)
        urls, pids = {n: u for n, u, _ in listed}, {n: int(p) for n, _, p in listed}
        children += pids.values()
        assert set(pids) == {s.name for s in SERVICES}, out.text
        assert urls["ledger"] == f"http://127.0.0.1:{base + 3}", "--port-base moves the services' ports"

        os.kill(pids["ledger"], signal.SIGKILL)
        out.wait_for(r"ledger exited with -9; restarting it", dev, timeout_s=30)
        back = int(out.wait_for(r"ledger is back at \S+ \(pid (\d+)\)", dev, timeout_s=90)[1])
        children.append(back)
        assert back != pids["ledger"] and healthy(urls["ledger"])
        for name in ("attendance-ingest", "verification", "reporting"):
            assert alive(pids[name]) and healthy(urls[name]), f"{name} must keep running while ledger restarts"
        assert "stopping the services" not in out.text

        dev.send_signal(signal.SIGINT)
        assert dev.wait(90) == 0, out.text
        assert not left_behind(), f"processes left after Ctrl-C:\n{out.text}"
        assert not any(port_is_open(base + s.port - 8000) for s in SERVICES) and not port_is_open(broker_port)
    finally:
        if dev.poll() is None:
            os.killpg(dev.pid, signal.SIGKILL)
            dev.wait(10)
        for pid in left_behind():  # only after a failure: leave nothing running for the next test
            os.kill(pid, signal.SIGKILL)
