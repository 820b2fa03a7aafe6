"""Thin HTTP routes of reporting: a region's (or school's) figures, and the same as server-sent events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, cast

import sqlalchemy as sa
from baoxue_common.app import draining
from baoxue_common.auth import Authenticated, Principal
from baoxue_common.errors import Forbidden, NotFound, Unprocessable
from baoxue_common.regions import region_problem
from baoxue_common.runtime import ServiceRuntime
from baoxue_contracts.topics import Tier
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from reporting import stats_stream
from reporting.adapters.orm import region_stats, stats_marks
from reporting.adapters.read import region_figures, region_label
from reporting.domain.indicators import Figure, labels_of
from reporting.domain.periods import CADENCE, EXAMPLES, Period, parse_period, period_of
from reporting.domain.regions import tier_of_code

router = APIRouter(prefix="/v1/stats", tags=["stats"])
CodePath = Annotated[
    str,
    Path(pattern=r"^(\d{6}|\d{10})$", description="6-digit region (GB/T 2260; 000000 national) or school code"),
]
PeriodQuery = Annotated[
    str | None,
    Query(
        max_length=20,
        description="The tier's cadence period: school 2026-03, county 2026-Q1, city 2026-S1, province 2026-2027, "
        "national 2026-B1; default the current one",
    ),
]


async def stats_scope(request: Request, principal: Authenticated) -> Principal:
    """The caller may read this region (its own or one below) or school (its own, or one in its region)."""
    code: str = request.path_params["region_code"]
    if len(code) == 6:
        if problem := region_problem(code):
            raise NotFound(problem)
        principal.ensure_region(code)
        return principal
    if principal.kind in ("admin", "national") or (principal.kind == "school" and principal.value == code):
        return principal
    if principal.kind == "region":
        runtime: ServiceRuntime = request.app.state.runtime
        county = await runtime.school_county(code)
        if county is None:
            raise NotFound(f"unknown school {code}")
        if principal.covers_region(county):
            return principal
    raise Forbidden(f"scope {principal.scope} does not cover school {code}")


Scoped = Annotated[Principal, Depends(stats_scope)]


class RegionStats(BaseModel):
    """Indicators of a region over a period; `labels` gives each figure's Chinese name."""

    region_code: str
    region_name: str
    tier: Tier
    period: str
    version: int
    as_of: datetime
    figures: dict[str, Figure]
    labels: dict[str, str]
    pending: bool = Field(
        default=False, description="The figures changed since this version: a newer one is being published."
    )


FreshQuery = Annotated[
    bool, Query(description="Compute from the counters now instead of answering the last published version.")
]


def chosen_period(code: str, label: str | None, runtime: ServiceRuntime) -> Period:
    """The period asked for (the tier's cadence), default the current one; 422 when it is not one."""
    kind = CADENCE[tier_of_code(code)]
    if label is None:
        return period_of(kind, runtime.clock.today())
    try:
        return parse_period(kind, label)
    except ValueError as exc:
        raise Unprocessable(
            str(exc), errors=[{"loc": ["query", "period"], "msg": f"{exc}; e.g. {EXAMPLES[kind]}"}]
        ) from None


@router.get("/{region_code}", response_model=RegionStats, summary="Indicators of a region or school over a period")
async def get_stats(
    request: Request, region_code: CodePath, _: Scoped, period: PeriodQuery = None, fresh: FreshQuery = False
) -> RegionStats:
    """The last published version (one row read), or figures computed now when none is or `fresh` is asked."""
    runtime: ServiceRuntime = request.app.state.runtime
    chosen = chosen_period(region_code, period, runtime)
    s, m = region_stats.c, stats_marks.c
    marked = sa.exists().where(m.region_code == region_code, m.period == chosen.label)
    async with runtime.uow() as uow:
        row = (
            await uow.session.execute(
                sa.select(s.version, marked.label("pending"), s.figures, s.updated_at).where(
                    s.region_code == region_code, s.period == chosen.label
                )
            )
        ).one_or_none()
        pending = bool(row is not None and row.pending)
        if row is not None and row.figures is not None and not fresh:
            values, as_of = dict(row.figures), row.updated_at
        else:  # never published, or asked fresh: computed from the committed counters
            values = await region_figures(uow.session, region_code, chosen, runtime.clock.today())
            as_of, pending = datetime.now(UTC), False
        name = await region_label(uow.session, region_code)
    return RegionStats(
        region_code=region_code,
        region_name=name,
        tier=tier_of_code(region_code),
        period=chosen.label,
        version=row.version if row is not None else 0,
        as_of=as_of,
        figures=values,
        labels=labels_of(values),
        pending=pending,
    )


@router.get(
    "/{region_code}/stream",
    summary="Each published version of a region's figures, as server-sent events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream_stats(
    request: Request,
    region_code: CodePath,
    _: Scoped,
    period: PeriodQuery = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=60)] = None,
) -> StreamingResponse:
    """`event: stats`, `id: <period>:<version>`; resumes after `Last-Event-ID`; `: heartbeat` every 15 s."""
    runtime: ServiceRuntime = request.app.state.runtime
    chosen = chosen_period(region_code, period, runtime)
    try:
        after = stats_stream.resume_after(last_event_id, chosen.label)
    except ValueError as exc:
        raise Unprocessable(str(exc), errors=[{"loc": ["header", "Last-Event-ID"], "msg": str(exc)}]) from None
    async with runtime.uow() as uow:
        name = await region_label(uow.session, region_code)
    tier = tier_of_code(region_code)

    def shape(version: stats_stream.Version) -> dict[str, object]:
        number, values, published_at = version
        return RegionStats(
            region_code=region_code,
            region_name=name,
            tier=tier,
            period=chosen.label,
            version=number,
            as_of=published_at,
            figures=cast(dict[str, Figure], values),
            labels=labels_of(cast(dict[str, Figure], values)),
        ).model_dump(mode="json")

    subject = stats_stream.Subject(region_code, chosen.label, shape)
    return StreamingResponse(
        stats_stream.events(runtime.engine, subject, after, draining.is_set),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
