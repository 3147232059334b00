"""Google's batch endpoint: one ``multipart/mixed`` POST carrying up to 100 ``application/http``
calls, answered by one ``multipart/mixed`` whose parts are ``Content-ID: <response-ID>``.

Each inner call runs through the same pipeline as a direct call (auth, quota, faults), so a batch
saves round trips, not quota — exactly Google's rule.
"""

from __future__ import annotations

import re
import secrets

from ..core.wire import Request, Response
from .errors import bad_request

MAX_PARTS = 100
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.I)


def _split_headers(block: bytes) -> tuple[dict[str, str], bytes]:
    separator = b"\r\n\r\n" if b"\r\n\r\n" in block else b"\n\n"
    head, _, rest = block.partition(separator)
    headers = {}
    for line in head.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers, rest


def parse_batch(req: Request) -> list[tuple[str | None, Request]]:
    """The inner calls of a batch request, each with its Content-ID (without brackets)."""
    match = _BOUNDARY.search(req.headers.get("content-type", ""))
    if not req.headers.get("content-type", "").lower().startswith("multipart/mixed") or not match:
        raise bad_request("Batch requests must be multipart/mixed with a boundary.", "badContent")
    delimiter = b"--" + match.group(1).encode()
    calls = []
    for chunk in req.body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.lstrip(b"\r\n")
        part_headers, http = _split_headers(chunk)
        content_id = part_headers.get("content-id")
        request_line, _, rest = http.lstrip(b"\r\n").partition(b"\n")
        if rest.startswith((b"\r\n", b"\n")):
            inner_headers, body = {}, rest.split(b"\n", 1)[1]
        else:
            inner_headers, body = _split_headers(rest)
        words = request_line.decode("utf-8", "replace").strip().split()
        if len(words) < 2:
            raise bad_request("Malformed inner request line in batch.", "badContent")
        body = body.rstrip(b"\r\n")
        for inherited in ("authorization",):
            if inherited not in inner_headers and inherited in req.headers:
                inner_headers[inherited] = req.headers[inherited]
        calls.append((content_id.strip("<>") if content_id else None,
                      Request.from_target(words[0], words[1], inner_headers, body)))
    if len(calls) > MAX_PARTS:
        raise bad_request(f"A batch request cannot contain more than {MAX_PARTS} requests.",
                          "batchSizeTooLarge")
    return calls


_REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
            403: "Forbidden", 404: "Not Found", 409: "Conflict", 410: "Gone",
            412: "Precondition Failed", 429: "Too Many Requests", 500: "Internal Server Error",
            503: "Service Unavailable"}


def render_batch(results: list[tuple[str, Response]]) -> Response:
    boundary = "batch_" + secrets.token_hex(12)
    out = bytearray()
    for content_id, response in results:
        out += b"--" + boundary.encode() + b"\r\n"
        out += b"Content-Type: application/http\r\n"
        out += f"Content-ID: <response-{content_id}>\r\n\r\n".encode()
        out += f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Status')}\r\n".encode()
        for name, value in response.headers:
            out += f"{name}: {value}\r\n".encode()
        out += f"Content-Length: {len(response.body)}\r\n\r\n".encode()
        out += response.body + b"\r\n"
    out += b"--" + boundary.encode() + b"--\r\n"
    return Response(200, bytes(out), [("Content-Type", f"multipart/mixed; boundary={boundary}")])
