"""Parse a sandbox answer with msgraph-sdk's own models, offline, the way the SDK would."""

from __future__ import annotations

import json

from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory


def parse(model, raw: bytes | str | dict):
    """`raw` (bytes, text or an already decoded part) as a msgraph-sdk `model` instance."""
    if isinstance(raw, dict):
        raw = json.dumps(raw)
    if isinstance(raw, str):
        raw = raw.encode()
    return JsonParseNodeFactory().get_root_parse_node("application/json", raw).get_object_value(model)
