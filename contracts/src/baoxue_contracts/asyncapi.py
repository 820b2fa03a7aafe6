"""The AsyncAPI 3.0.0 document of the bus, built from the catalog and the topics."""

from __future__ import annotations

from typing import Any

from baoxue_contracts import topics
from baoxue_contracts.catalog import ALL_EVENTS, PRODUCER_OF, topics_of
from baoxue_contracts.events.auth import TokenRevoked
from baoxue_contracts.events.reporting import RegionStatsUpdated
from baoxue_contracts.samples import SAMPLES, sample_envelope
from baoxue_contracts.schemas import describe, envelope_schema, merge_defs, payload_schema, rewrite_refs

Doc = dict[str, Any]
VERSION = "1.0.0"
KAFKA_BINDING = "0.5.0"
SCHEMAS = "#/components/schemas/"
CONSUMING_SERVICES = ("attendance-ingest", "verification", "ledger", "reporting")

TRACE_HEADERS: Doc = {
    "type": "object",
    "description": "W3C trace context, so one trace follows a record from its REST call through every consumer.",
    "properties": {
        topics.TRACEPARENT: {
            "type": "string",
            "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
            "description": "W3C traceparent (optional).",
        },
        topics.TRACESTATE: {"type": "string", "description": "W3C tracestate (optional)."},
    },
}

DEADLETTER_HEADERS: Doc = {
    "type": "object",
    "description": "Why and where from a record was dead-lettered (plus the original trace headers).",
    "required": list(topics.DLQ_HEADERS),
    "properties": {
        topics.DLQ_REASON: {"type": "string", "description": "Why the record could not be parsed or applied."},
        topics.DLQ_SOURCE_TOPIC: {"type": "string", "description": "The topic the record was read from."},
        topics.DLQ_SOURCE_PARTITION: {"type": "string", "description": "Its partition, in decimal."},
        topics.DLQ_SOURCE_OFFSET: {"type": "string", "description": "Its offset, in decimal."},
        topics.DLQ_CONSUMER_GROUP: {"type": "string", "description": "The consumer group that gave up on it."},
        **TRACE_HEADERS["properties"],
    },
}

REGION_KEY: Doc = {
    "type": "string",
    "pattern": r"^\d{6}$",
    "description": "The envelope's region (the county code), so one county's events stay in order.",
}
TOKEN_KEY: Doc = {
    "type": "string",
    "description": "The revoked token's id (jti): compaction keeps one record per revoked token.",
}
STATS_KEY: Doc = {
    "type": "string",
    "description": "`<region_code>:<period>` (see topics.stats_key): compaction keeps the latest figures.",
}


def channel_id(topic: str) -> str:
    """`attendance.v1` → `attendance`, `stats.school.v1` → `statsSchool`, `x.v2` → `xV2`."""
    parts = topic.split(".")
    if parts[-1] == "v1":
        parts = parts[:-1]
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def camel(name: str) -> str:
    """`attendance-ingest` → `attendanceIngest`."""
    head, *rest = name.split("-")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _message_key(cls: type[Any]) -> str:
    return f"{cls.event_type}V{cls.schema_version}"


def _components() -> tuple[Doc, Doc]:
    schemas: Doc = {"Envelope": envelope_schema(), "TraceHeaders": TRACE_HEADERS}
    schemas["DeadLetterHeaders"] = DEADLETTER_HEADERS
    defs: dict[str, Doc] = {}
    messages: Doc = {}
    for cls in ALL_EVENTS:
        key = _message_key(cls)
        payload = payload_schema(cls)
        defs = merge_defs(defs, {n: rewrite_refs(s, SCHEMAS) for n, s in payload.pop("$defs", {}).items()})
        schemas[f"{key}Payload"] = rewrite_refs(payload, SCHEMAS)
        schemas[key] = {
            "title": f"{cls.event_type} v{cls.schema_version}",
            "description": describe(cls),
            "allOf": [
                {"$ref": f"{SCHEMAS}Envelope"},
                {
                    "type": "object",
                    "properties": {
                        "event_type": {"const": cls.event_type, "type": "string"},
                        "schema_version": {"const": cls.schema_version, "type": "integer"},
                        "payload": {"$ref": f"{SCHEMAS}{key}Payload"},
                    },
                },
            ],
        }
        sample = SAMPLES[(cls.event_type, cls.schema_version)]
        key_schema = STATS_KEY if issubclass(cls, RegionStatsUpdated) else REGION_KEY
        if issubclass(cls, TokenRevoked):
            key_schema = TOKEN_KEY
        messages[key] = {
            "name": cls.event_type,
            "title": f"{cls.event_type} v{cls.schema_version}",
            "summary": describe(cls),
            "contentType": "application/json",
            "headers": {"$ref": f"{SCHEMAS}TraceHeaders"},
            "payload": {"$ref": f"{SCHEMAS}{key}"},
            "bindings": {"kafka": {"key": key_schema, "bindingVersion": KAFKA_BINDING}},
            "examples": [{"name": "sample", "payload": sample_envelope(sample).model_dump(mode="json")}],
        }
    clash = set(defs) & set(schemas)
    if clash:
        raise ValueError(f"nested schema names clash with component names: {sorted(clash)}")
    schemas.update(sorted(defs.items()))
    schemas["DeadLetterValue"] = {
        "type": "string",
        "format": "binary",
        "description": "The original record value, byte for byte.",
    }
    messages["DeadLetter"] = {
        "name": "DeadLetter",
        "title": "Dead letter",
        "summary": "A record a consumer could not parse or apply, with the reason, as it was read.",
        "contentType": "application/octet-stream",
        "headers": {"$ref": f"{SCHEMAS}DeadLetterHeaders"},
        "payload": {"$ref": f"{SCHEMAS}DeadLetterValue"},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The original record's key."},
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }
    return schemas, messages


def _topic_configuration(spec: topics.TopicSpec) -> Doc:
    configuration: Doc = {"cleanup.policy": [spec.configs()["cleanup.policy"]]}
    if spec.retention_ms is not None:
        configuration["retention.ms"] = spec.retention_ms
    return configuration


def _channel(spec: topics.TopicSpec, message_keys: list[str], description: str) -> Doc:
    return {
        "address": spec.name,
        "description": description,
        "messages": {k: {"$ref": f"#/components/messages/{k}"} for k in message_keys},
        "bindings": {
            "kafka": {
                "topic": spec.name,
                "partitions": spec.partitions,
                "topicConfiguration": _topic_configuration(spec),
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


def build() -> Doc:
    """The whole AsyncAPI document, deterministic."""
    schemas, messages = _components()
    channels: Doc = {}
    operations: Doc = {}
    for spec in topics.TOPICS:
        cid = channel_id(spec.name)
        if spec.name == topics.DEADLETTER:
            channels[cid] = _channel(spec, ["DeadLetter"], "Records that could not be parsed or applied.")
            for service in CONSUMING_SERVICES:
                operations[f"{camel(service)}_publish_{cid}"] = {
                    "action": "send",
                    "channel": {"$ref": f"#/channels/{cid}"},
                    "summary": f"{service} dead-letters a record it cannot parse or apply.",
                    "messages": [{"$ref": f"#/channels/{cid}/messages/DeadLetter"}],
                }
            continue
        on_topic = [cls for cls in ALL_EVENTS if spec.name in topics_of(cls)]
        keys = [_message_key(cls) for cls in on_topic]
        names = ", ".join(cls.event_type for cls in on_topic)
        channels[cid] = _channel(spec, keys, f"Events: {names}.")
        producers = list(dict.fromkeys(PRODUCER_OF[cls.event_type] for cls in on_topic))
        for producer in producers:
            mine = [_message_key(c) for c in on_topic if PRODUCER_OF[c.event_type] == producer]
            operations[f"{camel(producer)}_publish_{cid}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{cid}"},
                "summary": f"{producer} publishes to {spec.name}.",
                "messages": [{"$ref": f"#/channels/{cid}/messages/{k}"} for k in mine],
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Baoxue events",
            "version": VERSION,
            "description": (
                "Every event on the Baoxue bus (控辍保学). Each record's value is one JSON envelope "
                "whose `payload` is typed by `event_type` and `schema_version`; its key is the "
                "envelope's region code; W3C trace context travels in the headers. Consumers send "
                "what they cannot parse or apply to deadletter.v1 with the reason."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }
