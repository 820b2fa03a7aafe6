"""What the attendance-ingest routes share: the runtime, the school-code path and the school scope."""

from __future__ import annotations

from typing import Annotated

from baoxue_common.auth import Principal, require_school
from baoxue_common.runtime import ServiceRuntime
from fastapi import Depends, Path, Request

SchoolCodePath = Annotated[str, Path(pattern=r"^\d{10}$", description="10-digit school code (学校标识码)")]
SchoolScoped = Annotated[Principal, Depends(require_school())]


def runtime_of(request: Request) -> ServiceRuntime:
    """The service runtime of this process."""
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[ServiceRuntime, Depends(runtime_of)]
