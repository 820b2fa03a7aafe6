"""Every event about a child, from every service, goes onto its timeline."""

from __future__ import annotations

from baoxue_common.consumer import EventHandlers

HANDLERS: EventHandlers = {}
