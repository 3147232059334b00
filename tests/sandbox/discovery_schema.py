"""A small validator for Google discovery-document schemas (types, properties, $ref, arrays,
additionalProperties, int64-as-string). Unknown properties are errors: the sandbox must not invent
fields a real client would never see."""

from __future__ import annotations

import base64
import re

from sandbox.google import spec

_INT_STRING = re.compile(r"^-?\d+$")


def validate(value, schema: dict, schemas: dict, where: str = "$") -> list[str]:
    if "$ref" in schema:
        schema = schemas[schema["$ref"]]
    kind = schema.get("type")
    errors: list[str] = []
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{where}: expected object, got {type(value).__name__}"]
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                errors += validate(item, properties[key], schemas, f"{where}.{key}")
            elif extra is not None:
                errors += validate(item, extra, schemas, f"{where}.{key}")
            else:
                errors.append(f"{where}: unknown property {key!r}")
    elif kind == "array":
        if not isinstance(value, list):
            return [f"{where}: expected array, got {type(value).__name__}"]
        for index, item in enumerate(value):
            errors += validate(item, schema.get("items", {}), schemas, f"{where}[{index}]")
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{where}: expected string, got {type(value).__name__}"]
        fmt = schema.get("format")
        if fmt in ("int64", "uint64") and not _INT_STRING.match(value):
            errors.append(f"{where}: {value!r} is not an {fmt} string")
        if fmt == "byte":
            try:
                base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            except ValueError:
                errors.append(f"{where}: not base64")
        if "enum" in schema and value not in schema["enum"]:
            errors.append(f"{where}: {value!r} not one of {schema['enum']}")
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{where}: expected integer, got {value!r}")
    elif kind == "number":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            errors.append(f"{where}: expected number, got {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            errors.append(f"{where}: expected boolean, got {value!r}")
    return errors


def method_for(http_method: str, path: str) -> spec.MethodSpec | None:
    for service in spec.DOCUMENTS:
        candidates = [m for m in spec.methods(service).values()
                      if m.http_method == http_method and m.regex.match(path)]
        if candidates:
            return min(candidates, key=lambda m: m.path.count("{"))
    return None


def validate_response(http_method: str, path: str, status: int, body) -> list[str]:
    """Errors for one API answer: success bodies against the method's response schema, failures
    against Google's error envelope."""
    if status >= 400:
        return validate_error(body)
    method = method_for(http_method, path)
    if method is None:
        return []
    doc = spec.document(method.service)
    resource = _method_json(doc, method.id)
    response = resource.get("response")
    if response is None:
        return [] if body in (None, {}, b"", "") else [f"{method.id}: no response body expected"]
    return [f"{method.id} {e}" for e in validate(body, response, doc["schemas"])]


def _method_json(doc: dict, method_id: str) -> dict:
    def walk(resources):
        for resource in resources.values():
            for method in resource.get("methods", {}).values():
                yield method
            yield from walk(resource.get("resources", {}))
    return next(m for m in walk(doc["resources"]) if m["id"] == method_id)


def validate_error(body) -> list[str]:
    if not isinstance(body, dict) or set(body) != {"error"}:
        return [f"error body is not {{'error': ...}}: {body!r}"]
    error = body["error"]
    if isinstance(error, str):  # OAuth endpoints: RFC 6749 errors
        return [] if set(body) <= {"error", "error_description"} else ["bad OAuth error"]
    problems = []
    if set(error) != {"code", "message", "errors", "status"}:
        problems.append(f"error keys {sorted(error)}")
    for entry in error.get("errors", []):
        if not {"domain", "reason", "message"} <= set(entry):
            problems.append(f"errors[] entry {entry}")
    return problems
