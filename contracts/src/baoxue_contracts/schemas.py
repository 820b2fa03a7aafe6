"""JSON Schemas of the envelope and of each event (the envelope with its typed payload)."""

from __future__ import annotations

import copy
import inspect
from typing import Any

from baoxue_contracts.base import Event
from baoxue_contracts.envelope import Envelope

JsonSchema = dict[str, Any]
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def describe(cls: type[Event]) -> str:
    """The one-line description of an event class (its docstring)."""
    return inspect.cleandoc(cls.__doc__ or cls.event_type).splitlines()[0]


def envelope_schema() -> JsonSchema:
    """The JSON Schema of the generic envelope (payload: any object)."""
    return Envelope.model_json_schema()


def payload_schema(cls: type[Event]) -> JsonSchema:
    """The JSON Schema of an event's payload, possibly with local `$defs`."""
    schema = cls.model_json_schema()
    schema["title"] = cls.event_type
    schema["description"] = describe(cls)
    return schema


def message_schema(cls: type[Event], payload: JsonSchema) -> JsonSchema:
    """The envelope schema specialised to one event: constant type and version, the given payload."""
    schema = envelope_schema()
    props = schema["properties"]
    props["event_type"] = {"const": cls.event_type, "title": "Event Type", "type": "string"}
    props["schema_version"] = {"const": cls.schema_version, "title": "Schema Version", "type": "integer"}
    props["payload"] = payload
    schema["title"] = f"{cls.event_type} v{cls.schema_version}"
    schema["description"] = describe(cls)
    return schema


def standalone_event_schema(cls: type[Event]) -> JsonSchema:
    """A self-contained JSON Schema document for one event, `$defs` lifted to the root."""
    payload = payload_schema(cls)
    defs = payload.pop("$defs", {})
    schema = message_schema(cls, payload)
    env_defs = schema.pop("$defs", {})
    merged = merge_defs(env_defs, defs)
    document: JsonSchema = {"$schema": DIALECT, **schema}
    if merged:
        document["$defs"] = merged
    return document


def standalone_envelope_schema() -> JsonSchema:
    """The envelope's JSON Schema document."""
    return {"$schema": DIALECT, **envelope_schema()}


def merge_defs(*groups: dict[str, JsonSchema]) -> dict[str, JsonSchema]:
    """Merge `$defs` maps; the same name must mean the same schema."""
    merged: dict[str, JsonSchema] = {}
    for group in groups:
        for name, schema in group.items():
            if name in merged and merged[name] != schema:
                raise ValueError(f"two different schemas are both named {name!r}")
            merged[name] = schema
    return merged


def rewrite_refs(node: Any, prefix: str) -> Any:
    """A deep copy of a schema with `#/$defs/X` references pointing to `prefix + X` instead."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                out[key] = prefix + value.removeprefix("#/$defs/")
            else:
                out[key] = rewrite_refs(value, prefix)
        return out
    if isinstance(node, list):
        return [rewrite_refs(item, prefix) for item in node]
    return copy.deepcopy(node)
