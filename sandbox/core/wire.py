"""Transport-neutral request and response objects.

The HTTP server, the batch endpoint (whose inner calls never touch a socket) and the admin API all
hand the same ``Request`` to the same pipeline, so a batched call (Google's ``messages.get``) behaves
exactly like a direct one. Malformed parameters raise the core's ``HttpError``; each provider's app
renders it in the provider's format.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from .errors import bad_request


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # keys lower case
    body: bytes = b""
    path_params: dict[str, str] = field(default_factory=dict)
    # Query parameters the provider's spec (Google's discovery document) allows for the matched
    # method; reading any other is a sandbox bug, caught here so served parameters match the spec.
    allowed: frozenset[str] | None = None

    @classmethod
    def from_target(cls, method: str, target: str, headers: dict[str, str], body: bytes) -> "Request":
        parts = urlsplit(target)
        return cls(
            method=method.upper(),
            path=parts.path or "/",
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in headers.items()},
            body=body,
        )

    def _check(self, name: str) -> None:
        if self.allowed is not None and name not in self.allowed:
            raise AssertionError(f"parameter {name!r} is not in the discovery document")

    def param(self, name: str, default: str | None = None) -> str | None:
        self._check(name)
        values = self.query.get(name)
        return values[-1] if values else default

    def params(self, name: str) -> list[str]:
        self._check(name)
        return list(self.query.get(name, []))

    def int_param(self, name: str, default: int, maximum: int | None = None) -> int:
        raw = self.param(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise bad_request(f"Invalid value '{raw}' for {name}.", "invalidArgument") from None
        if value < 0:
            raise bad_request(f"Invalid value '{raw}' for {name}.", "invalidArgument")
        return min(value, maximum) if maximum is not None else value

    def bool_param(self, name: str, default: bool = False) -> bool:
        raw = self.param(name)
        if raw is None:
            return default
        return raw.lower() in ("true", "1")

    def json(self) -> dict:
        if not self.body:
            return {}
        try:
            value = json.loads(self.body)
        except ValueError:
            raise bad_request("Invalid JSON payload received.", "parseError") from None
        if not isinstance(value, dict):
            raise bad_request("Invalid JSON payload received.", "parseError")
        return value


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    reset: bool = False  # close the connection without answering

    @classmethod
    def json(cls, status: int, value, headers: dict[str, str] | None = None) -> "Response":
        body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        hdrs = [("Content-Type", "application/json; charset=UTF-8")]
        hdrs.extend((headers or {}).items())
        return cls(status, body, hdrs)

    @classmethod
    def redirect(cls, location: str) -> "Response":
        return cls(302, b"", [("Location", location), ("Content-Type", "text/html")])

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None
