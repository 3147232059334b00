"""JSON batching (``POST /v1.0/$batch``): up to 20 requests in one body, each run through the
normal pipeline (own auth, scopes, throttling, faults, log entry) and answered in its own part.

The outer answer is 200 whatever the parts say; a part whose ``dependsOn`` request failed answers
424 without running.
"""

from __future__ import annotations

import base64
import json

from ..core.wire import Request, Response
from .errors import GraphError, bad_request

MAX_REQUESTS = 20


def parse(req: Request) -> list[dict]:
    requests = req.json().get("requests")
    if not isinstance(requests, list) or not requests:
        raise bad_request("Invalid batch payload format.", "BadRequest")
    if len(requests) > MAX_REQUESTS:
        raise bad_request(f"Invalid batch payload: the number of requests exceeds the limit of {MAX_REQUESTS}.",
                          "BadRequest")
    ids = set()
    for item in requests:
        if not isinstance(item, dict) or not item.get("id") or not item.get("method") or not item.get("url"):
            raise bad_request("Each batch request needs 'id', 'method' and 'url'.", "BadRequest")
        if item["id"] in ids:
            raise bad_request(f"Batch request id '{item['id']}' is not unique.", "BadRequest")
        ids.add(item["id"])
    return requests


def inner_request(outer: Request, item: dict) -> Request:
    url = str(item["url"])
    if url.startswith("https://") or url.startswith("http://"):
        url = "/" + url.split("/", 3)[3]
        url = url[len("/v1.0"):] if url.startswith("/v1.0/") else url
    url = url if url.startswith("/") else "/" + url
    headers = {k: v for k, v in outer.headers.items() if k in ("authorization", "host")}
    headers.update({str(k).lower(): str(v) for k, v in (item.get("headers") or {}).items()})
    body = item.get("body")
    raw = b"" if body is None else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
    return Request.from_target(str(item["method"]), "/v1.0" + url, headers, raw)


def part(item_id: str, response: Response) -> dict:
    answer: dict = {"id": item_id, "status": response.status,
                    "headers": {k: v for k, v in response.headers if k.lower() != "content-length"}}
    if response.body:
        content_type = response.header("Content-Type") or ""
        if "json" in content_type:
            answer["body"] = json.loads(response.body)
        else:
            answer["body"] = base64.b64encode(response.body).decode("ascii")
    return answer


def failed_dependency(item_id: str) -> dict:
    error = GraphError(424, "FailedDependency", "A request this one depends on failed.")
    return {"id": item_id, "status": 424, "headers": {"Content-Type": "application/json"}, "body": error.body()}
