"""The AsyncAPI 3.0 document of every topic in the catalogue (``make asyncapi``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contracts.envelope import Envelope
from contracts.topics import CATALOGUE, dead_letter_topic


def asyncapi_document() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for spec in CATALOGUE:
        message_name = spec.payload.event_type
        schema = Envelope[spec.payload].model_json_schema(ref_template="#/components/schemas/{model}")  # type: ignore[name-defined]
        schemas.update(schema.pop("$defs", {}))
        # The payload's own definition is named after the event: the envelope gets a name of its own.
        schemas[f"{message_name}Envelope"] = schema
        channels[spec.key] = {
            "address": spec.name, "description": spec.description,
            "messages": {message_name: {"$ref": f"#/components/messages/{message_name}"}},
        }
        operations[f"{spec.producer}.send.{spec.key}"] = {
            "action": "send", "channel": {"$ref": f"#/channels/{spec.key}"}}
        for consumer in spec.consumers:
            operations[f"{consumer}.receive.{spec.key}"] = {
                "action": "receive", "channel": {"$ref": f"#/channels/{spec.key}"}}
            dlt_key = f"{spec.key}.{consumer}.dlt"
            channels[dlt_key] = {
                "address": dead_letter_topic(spec.name, consumer),
                "description": f"Dead letters of {consumer}: the original bytes and headers, plus "
                               "x-dead-letter-reason and x-dead-letter-attempts.",
                "messages": {message_name: {"$ref": f"#/components/messages/{message_name}"}},
            }
    messages = {spec.payload.event_type: {
        "name": spec.payload.event_type, "contentType": "application/json",
        "headers": {"type": "object", "properties": {
            "event_id": {"type": "string", "format": "uuid"}, "event_type": {"type": "string"},
            "traceparent": {"type": "string", "description": "W3C trace context"}}},
        "payload": {"$ref": f"#/components/schemas/{spec.payload.event_type}Envelope"},
    } for spec in CATALOGUE}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Infohus events", "version": "1.0.0",
                 "description": "Events between intake, routing, notify and audit. Keyed by concern id."},
        "defaultContentType": "application/json",
        "channels": channels, "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def write_asyncapi(path: str | Path) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(asyncapi_document(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return target
