"""The case and verification forms: what a submitted form becomes as a service's JSON body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from console.entrypoints.deps import PageError

# What each case step posts to the ledger: (method, path under /v1/cases/{id}, form fields, fields that are lists).
CASE_STEPS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "attempt": ("POST", "attempts", ("date", "method", "by", "outcome", "note")),
    "escalation": ("POST", "escalations", ("level", "date", "deadline", "issued_by")),
    "return": ("POST", "return", ("school_code", "date", "placement")),
    "cause": ("PUT", "cause", ("main", "others")),
    "assignee": ("POST", "assignees", ("name", "role", "phone")),
    "cancel": ("POST", "cancel", ("reason", "note")),
    "transfer": ("POST", "transfer", ("to_county_code", "reason")),
    "approve": ("POST", "closure/approve", ("note",)),
    "reject": ("POST", "closure/reject", ("reason",)),
    "transfer-accept": ("POST", "transfer/accept", ()),
    "transfer-reject": ("POST", "transfer/reject", ("reason",)),
}
STEP_DONE: dict[str, str] = {
    "attempt": "已记录劝返情况",
    "escalation": "已记录升级措施",
    "return": "已确认返校，进入巩固期",
    "cause": "已登记辍学原因",
    "assignee": "已添加责任人",
    "cancel": "已撤销个案",
    "transfer": "已申请移交",
    "approve": "已批准销号",
    "reject": "已驳回销号",
    "transfer-accept": "已接收移交",
    "transfer-reject": "已拒绝移交",
}
LIST_FIELDS = frozenset({"others"})
FIELD_WORDS = {
    "date": "日期",
    "deadline": "改正期限",
    "issued_by": "发出单位",
    "level": "措施",
    "by": "劝返人",
    "method": "方式",
    "outcome": "结论",
    "note": "说明",
    "school_code": "学校代码",
    "placement": "安置方式",
    "main": "主要原因",
    "others": "其他原因",
    "name": "姓名",
    "role": "所属",
    "phone": "电话",
    "reason": "理由",
    "to_county_code": "接收县（区）代码",
    "cause": "辍学原因",
    "verified_by": "核查人",
    "verified_on": "核查日期",
}
MESSAGE_WORDS = {
    "Field required": "必须填写",
    "a cleared suspect needs a reason": "排除疑似须选择排除理由",
    "a cause is given only with confirmed_dropout": "只有确认辍学时才填写辍学原因",
    "a reason is given only with cleared": "只有排除疑似时才选择排除理由",
}
OUTCOME_FIELDS = ("outcome", "reason", "cause", "note", "verified_by", "verified_on")


def body_of(form: Mapping[str, Any], fields: tuple[str, ...], lists: Any = None) -> dict[str, Any]:
    """The filled-in fields as a JSON body: blanks left out (the service says what is missing), lists kept."""
    body: dict[str, Any] = {}
    for name in fields:
        if name in LIST_FIELDS:
            chosen = [str(v).strip() for v in (lists(name) if lists else []) if str(v).strip()]
            body[name] = chosen
            continue
        value = str(form.get(name) or "").strip()
        if value:
            body[name] = value
    return body


def problem_words(problems: list[str]) -> list[str]:
    """A service's 'field: message' lines with the field, and the messages it is known to send, in Chinese."""
    shown = []
    for line in problems:
        field, sep, message = line.partition(": ")
        if not sep:
            field, message = "", line
        words = MESSAGE_WORDS.get(message, message)
        shown.append(f"{FIELD_WORDS.get(field, field)}：{words}" if field else words)
    return shown


def case_step(step: str) -> tuple[str, str, tuple[str, ...]]:
    """The ledger call of a case step; a 404 page for a step that does not exist."""
    if step not in CASE_STEPS:
        raise PageError(404, "没有这一项操作")
    return CASE_STEPS[step]


def outcome_body(form: Mapping[str, Any]) -> dict[str, Any]:
    """A verification outcome: the cause only with a confirmation, the reason only with a clearing."""
    body = body_of(form, OUTCOME_FIELDS)
    if body.get("outcome") == "confirmed_dropout":
        body.pop("reason", None)
    elif body.get("outcome") == "cleared":
        body.pop("cause", None)
    return body
