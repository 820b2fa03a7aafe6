"""The four services and the console: names, packages, schemas and default ports, in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """One service of the platform."""

    name: str
    package: str
    port: int

    @property
    def schema(self) -> str:
        """The PostgreSQL schema the service owns."""
        return self.package

    @property
    def app_factory(self) -> str:
        """Import path of the FastAPI application factory (for uvicorn --factory)."""
        return f"{self.package}.entrypoints.app:create_app"


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("attendance-ingest", "attendance_ingest", 8001),
    ServiceSpec("verification", "verification", 8002),
    ServiceSpec("ledger", "ledger", 8003),
    ServiceSpec("reporting", "reporting", 8004),
)


CONSOLE = ServiceSpec("console", "console", 8005)
"""The caseworkers' web console: no events of its own, only its accounts (schema `console`)."""

DEPLOYABLES: tuple[ServiceSpec, ...] = (*SERVICES, CONSOLE)
"""What `baoxue serve`, `baoxue migrate --all` and `make dev` run: the four services and the console."""


def service(name: str) -> ServiceSpec:
    """Look a deployable up by name or package; raise KeyError with the known names."""
    for spec in DEPLOYABLES:
        if name in (spec.name, spec.package):
            return spec
    known = ", ".join(s.name for s in DEPLOYABLES)
    raise KeyError(f"unknown service {name!r}; known: {known}")
