"""Downloads passed through from a service as it sends them (the ledgers' exports, the reports)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

from fastapi.responses import StreamingResponse

from console.adapters.services_api import Service, UserApi


async def pass_through(
    api: UserApi, service: Service, path: str, params: Any, *, filename: str | None = None
) -> StreamingResponse:
    """Stream the service's answer on to the browser; its errors are raised before any byte is sent."""
    stack = AsyncExitStack()
    upstream = await stack.enter_async_context(api.stream(service, path, params))

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_bytes():
                yield chunk
        finally:
            await stack.aclose()

    disposition = f'attachment; filename="{filename}"' if filename else None
    headers = {"Content-Disposition": disposition or upstream.headers.get("content-disposition", "attachment")}
    return StreamingResponse(body(), media_type=upstream.headers.get("content-type"), headers=headers)
