"""Jinja filters: contract values in Chinese, dates and numbers as people read them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from baoxue_common.labels import (
    ABSENCE_LABELS,
    ASSIGNEE_ROLE_LABELS,
    ATTEMPT_OUTCOME_LABELS,
    CASE_STATUS_LABELS,
    CAUSE_LABELS,
    CLEAR_LABELS,
    CLOSE_LABELS,
    ESCALATION_LABELS,
    EVENT_LABELS,
    GROUP_LABELS,
    METHOD_LABELS,
    OUTCOME_LABELS,
    PLACEMENT_LABELS,
    SOURCE_LABELS,
    TRANSFER_STATUS_LABELS,
    VERIFICATION_STATUS_LABELS,
    VERIFIER_LABELS,
)
from baoxue_common.regions import region_name
from jinja2 import Environment

LABELS: dict[str, dict[str, str]] = {
    "absence": ABSENCE_LABELS,
    "cause": CAUSE_LABELS,
    "clear": CLEAR_LABELS,
    "close": CLOSE_LABELS,
    "escalation": ESCALATION_LABELS,
    "group": GROUP_LABELS,
    "source": SOURCE_LABELS,
    # the case and verification pages
    "assignee_role": ASSIGNEE_ROLE_LABELS,
    "attempt_outcome": ATTEMPT_OUTCOME_LABELS,
    "case_status": CASE_STATUS_LABELS,
    "event": EVENT_LABELS,
    "method": METHOD_LABELS,
    "outcome": OUTCOME_LABELS,
    "placement": PLACEMENT_LABELS,
    "transfer_status": TRANSFER_STATUS_LABELS,
    "verification_status": VERIFICATION_STATUS_LABELS,
    "verifier": VERIFIER_LABELS,
}


def label(value: Any, kind: str) -> str:
    """The Chinese label of a contract value (the value itself when unknown, '—' when empty)."""
    if value is None or value == "":
        return "—"
    return LABELS[kind].get(str(value), str(value))


def labels(values: Any, kind: str) -> str:
    """Several values' labels, joined with 、."""
    return "、".join(label(v, kind) for v in values or []) or "—"


def zh_date(value: Any) -> str:
    """YYYY-MM-DD (or YYYY-MM-DD HH:MM for instants); '—' when empty."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return text[:16].replace("T", " ") if "T" in text else text


def percent(value: Any) -> str:
    """A rate as a percentage with one decimal ('—' when not computable)."""
    return "—" if value is None else f"{float(value) * 100:.1f}%"


def region(code: Any) -> str:
    """A region's Chinese name, with its code."""
    name = region_name(str(code)) if code else None
    return f"{name}（{code}）" if name else str(code or "—")


def install_filters(env: Environment) -> None:
    """Register the filters on the templates' environment."""
    env.filters.update(label=label, labels=labels, zh_date=zh_date, percent=percent, region=region)
