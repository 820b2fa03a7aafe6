"""A child's timeline page: every event about the child, oldest first, as the ledger keeps it."""

from __future__ import annotations

from typing import Annotated, Any

from baoxue_common.labels import (
    ABSENCE_LABELS,
    ATTEMPT_OUTCOME_LABELS,
    CAUSE_LABELS,
    CLEAR_LABELS,
    CLOSE_LABELS,
    ESCALATION_LABELS,
    GROUP_LABELS,
    METHOD_LABELS,
    PLACEMENT_LABELS,
    SOURCE_LABELS,
)
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from console.entrypoints.deps import Api, CurrentSession, render

router = APIRouter(tags=["timeline"])
PAGE = 100
SUMMARY_WORDS = {
    "grade": "年级",
    "class_name": "班级",
    "enrolled_on": "入学日期",
    "school_code": "学校",
    "date": "日期",
    "status": "状态",
    "correction": "更正",
    "raised_on": "预警日期",
    "threshold": "阈值",
    "consecutive_unexcused_days": "连续无故缺勤",
    "source": "来源",
    "sources": "来源",
    "groups": "重点人群",
    "cause": "原因",
    "reason": "理由",
    "level": "措施",
    "deadline": "期限",
    "method": "方式",
    "outcome": "结果",
    "placement": "安置",
    "returned_on": "返校日期",
    "verified_by": "核查人",
    "due_on": "核查期限",
    "assigned_to": "核查责任",
    "flagged_on": "发现日期",
    "confirmed_on": "确认日期",
    "note": "备注",
    "by": "劝返人",
    "issued_by": "发出单位",
    "close_reason": "销号原因",
}
VALUE_WORDS: dict[str, str] = {
    **ABSENCE_LABELS,
    **ATTEMPT_OUTCOME_LABELS,
    **CAUSE_LABELS,
    **CLEAR_LABELS,
    **CLOSE_LABELS,
    **ESCALATION_LABELS,
    **GROUP_LABELS,
    **METHOD_LABELS,
    **PLACEMENT_LABELS,
    **SOURCE_LABELS,
    "present": "出勤",
    "school": "学校",
    "county": "县级",
}


def shown_value(value: Any) -> str:
    """A summary value in words: booleans 是/否, contract values by their labels, lists joined."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(shown_value(v) for v in value)
    return VALUE_WORDS.get(str(value), str(value))


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """A timeline line's summary as 'what：value' pieces, empty ones left out."""
    return [
        f"{SUMMARY_WORDS.get(key, key)}：{shown_value(value)}"
        for key, value in summary.items()
        if value not in (None, "", [])
    ]


@router.get("/students/{student_id}/timeline", response_class=HTMLResponse)
async def timeline_page(
    request: Request,
    student_id: Annotated[str, Path(max_length=40)],
    session: CurrentSession,
    api: Api,
    offset: int = 0,
) -> HTMLResponse:
    """The child's timeline (the read is logged by the ledger)."""
    page = await api.get("ledger", f"/v1/students/{student_id}/timeline", {"limit": PAGE, "offset": max(offset, 0)})
    return render(
        request,
        session,
        "cases/timeline.html",
        student_id=student_id,
        page=page,
        lines=[summary_lines(line.get("summary") or {}) for line in page["items"]],
        prev_offset=max(offset - PAGE, 0) if offset > 0 else None,
    )
