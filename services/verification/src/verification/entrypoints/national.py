"""`/v1/national/suspected-lists`: the national platform's lists of suspected dropouts, and their feedback."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from baoxue_common.auth import Authenticated, Principal
from baoxue_common.errors import Forbidden, NotFound, PayloadTooLarge
from baoxue_common.paging import next_offset
from baoxue_common.regions import county_prefix
from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from verification.adapters import national_repository as store
from verification.domain.national import MAX_ITEMS, Item, State
from verification.entrypoints.routes import Runtime
from verification.national import Batch, accept_batch
from verification.national_worker import kick

router = APIRouter(prefix="/v1/national", tags=["national platform"])
Ref = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]
BatchPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$", description="The platform's batch id")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _national(principal: Principal) -> None:
    if principal.kind not in ("national", "admin"):
        raise Forbidden("the national platform's lists need a national or admin token")


def _reader_prefix(principal: Principal) -> str:
    """Who may read a list's feedback: national and admin every item (''), a region token its counties' items."""
    if principal.kind == "region":
        return county_prefix(principal.value)
    _national(principal)
    return ""


class ItemIn(BaseModel):
    """One child on the list; the ID number is checked (GB 11643) and never stored in clear."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    item_id: Ref
    national_id: Annotated[str, Field(max_length=64)]
    student_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=25)] | None = None
    name: Text
    county_code: Annotated[str, Field(max_length=16)]
    school_code: Annotated[str, Field(pattern=r"^\d{10}$")] | None = None
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class SuspectedListIn(BaseModel):
    """`POST /v1/national/suspected-lists`: one batch, at most 10,000 items (413 above)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    batch_id: Ref
    issued_at: AwareDatetime
    items: Annotated[list[ItemIn], Field(min_length=1)]

    @field_validator("items", mode="before")
    @classmethod
    def _at_most_max_items(cls, value: Any) -> Any:
        # Before the items are parsed one by one: an oversized batch costs no per-item validation.
        if isinstance(value, list) and len(value) > MAX_ITEMS:
            raise PayloadTooLarge(f"at most {MAX_ITEMS} items per batch; got {len(value)}")
        return value


class Accepted(BaseModel):
    """The batch and how many items it holds."""

    batch_id: str
    accepted: int


class StateStep(BaseModel):
    """A state an item reached and the day it did (with the reason, for cleared)."""

    state: State
    on: date
    reason: str | None = None


class ItemFeedback(BaseModel):
    """Where one item stands: its state, the reason if cleared, the dates of each state, the masked ID number."""

    item_id: str
    national_id: str = Field(description="Masked, e.g. 5226**********123X")
    name: str
    county_code: str
    school_code: str | None
    student_id: str | None = Field(description="The pupil matched, or null for a child on no roll")
    suspicion_id: str | None = Field(description="Null until the item is flagged")
    state: State
    reason: str | None = Field(description="Why the child was cleared (API.md's reasons), when cleared")
    history: list[StateStep]


class Progress(BaseModel):
    """How far the flagging of a batch got: items stored, flagged (a suspect each), still to flag."""

    items: int
    flagged: int
    pending: int = Field(description="Items not flagged yet (their state is pending too)")


class BatchFeedback(BaseModel):
    """A page of a batch's items with their feedback, and how far their flagging got."""

    batch_id: str
    issued_at: AwareDatetime
    progress: Progress
    total: int
    limit: int
    offset: int
    next_offset: int | None
    items: list[ItemFeedback]


@router.post("/suspected-lists", response_model=Accepted, status_code=202, summary="Receive a suspected list")
async def post_suspected_list(body: SuspectedListIn, principal: Authenticated, rt: Runtime) -> Accepted:
    """The batch is stored at once; every item becomes a suspect (source national_platform) soon after, by the
    worker. The same batch again changes nothing."""
    _national(principal)
    items = [Item(**i.model_dump()) for i in body.items]
    batch = Batch(batch_id=body.batch_id, issued_at=body.issued_at, items=items)
    accepted, stored = await accept_batch(rt.uow(), batch, rt.settings.pii_key, rt.clock)
    if stored:
        kick(rt)
    return Accepted(batch_id=body.batch_id, accepted=accepted)


@router.get("/suspected-lists/{batch_id}", response_model=BatchFeedback, summary="The feedback on a list")
async def get_suspected_list(
    batch_id: BatchPath,
    principal: Authenticated,
    rt: Runtime,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> BatchFeedback:
    """Each item's state as the other services' events moved it, oldest state first in its history."""
    prefix = _reader_prefix(principal)
    async with rt.uow() as uow:
        stored = await store.batch(uow.session, batch_id)
        if stored is None:
            raise NotFound(f"no suspected list {batch_id}")
        rows = await store.items_page(uow.session, batch_id, limit=limit, offset=offset, county_prefix=prefix)
        stored_items, flagged = await store.progress(uow.session, batch_id, prefix)
    total = stored_items if prefix else int(stored.items)
    return BatchFeedback(
        batch_id=batch_id,
        issued_at=stored.issued_at,
        progress=Progress(items=stored_items, flagged=flagged, pending=stored_items - flagged),
        total=total,
        limit=limit,
        offset=offset,
        next_offset=next_offset(offset, len(rows), total),
        items=[
            ItemFeedback(
                item_id=r.item_id,
                national_id=r.national_id_masked,
                name=r.name,
                county_code=r.county_code,
                school_code=r.school_code,
                student_id=r.student_id,
                suspicion_id=str(r.suspicion_id) if r.suspicion_id else None,
                state=r.state,
                reason=r.clear_reason,
                history=[StateStep(**step) for step in r.history],
            )
            for r in rows
        ],
    )
