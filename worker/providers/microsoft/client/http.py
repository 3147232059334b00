"""The one HTTP client for Microsoft Graph: auth header, immutable ids, pacing, retries, `$batch`.

Every request asks for immutable ids (`Prefer: IdType="ImmutableId"`), so a message keeps its id
when it moves between folders. A 401 refreshes the token once; 429 and 5xx wait (`Retry-After`
when given) and retry, so a throttled sync is slower, never failed; at most `concurrency`
requests per mailbox run at once in this process (Graph refuses a fifth with 429).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

import httpx

from worker.observe.metrics import counted
from worker.providers.microsoft.client.errors import (
    GraphError,
    MalformedResponse,
    RateLimited,
    Transient,
    Unauthorized,
    error_from_response,
)
from worker.store.staging import ProviderJson
from worker.sync.pacing import Backoff, Pacer

logger = logging.getLogger(__name__)

TokenSource = Callable[[bool], Awaitable[str]]  # force_refresh -> access token

IMMUTABLE_IDS = 'IdType="ImmutableId"'
BATCH_LIMIT = 20  # requests per $batch
MAX_TRANSIENT_ATTEMPTS = 8
MAX_RATE_LIMIT_ATTEMPTS = 40
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def prefer(*extra: str) -> dict[str, str]:
    return {"Prefer": ", ".join((IMMUTABLE_IDS, *extra))}


class GraphClient:
    def __init__(self, http: httpx.AsyncClient, graph_base: str, token: TokenSource, pacer: Pacer,
                 slots: asyncio.Semaphore, backoff: Backoff | None = None) -> None:
        self.http, self.base, self.token, self.pacer, self.slots = http, graph_base, token, pacer, slots
        self.backoff = backoff or Backoff()
        self.calls = 0

    def url(self, path_or_link: str) -> str:
        """A Graph path (`/me/...`) on our base; an `@odata.nextLink`/`deltaLink` only when it is ours
        (the access token is never sent to another host)."""
        if path_or_link.startswith("/"):
            return self.base + path_or_link
        if not path_or_link.startswith(self.base + "/"):
            raise MalformedResponse(200, "foreignLink", "Graph returned a link outside its own base URL")
        return path_or_link

    async def _send(self, method: str, url: str, **kwargs) -> httpx.Response:
        access = await self.token(False)
        headers = {**prefer(), **kwargs.pop("headers", {}), "Authorization": f"Bearer {access}"}
        async with self.slots:
            self.calls += 1
            return await counted("microsoft", self.http.request(method, url, headers=headers, **kwargs))

    async def call(self, method: str, path: str, *, params: dict | None = None, json_body: Any = None,
                   headers: dict | None = None, expect_json: bool = True, idempotent: bool = True,
                   raw: bool = False, units: int = 1) -> Any:
        """One call with pacing and retries; the decoded JSON (a `ProviderJson`), None for an empty
        answer, the response itself with `raw`.

        `idempotent=False` (send): a transport failure after the request may have reached Graph is
        not retried here; it raises `Transient` and the caller's retry first looks for the result.
        `units`: what the call spends of the mailbox's request budget (a `$batch`: one per part, as Graph
        evaluates each part against the limits; the envelope itself is not counted)."""
        url = self.url(path)
        attempt, refreshed = 0, False
        while True:
            await self.pacer.acquire(units)
            try:
                response = await self._send(method, url, params=params, json=json_body, headers=dict(headers or {}))
                if response.status_code == 401 and not refreshed:
                    refreshed = True
                    await self.token(True)
                    continue
                if response.status_code >= 400:
                    raise error_from_response(response.status_code, response.content,
                                              response.headers.get("Retry-After"))
                if raw:
                    return response
                if not expect_json or response.status_code in (202, 204) or not response.content:
                    return None
                return decode(response.status_code, response.text, f"{method} {url.split('?')[0]}")
            except (httpx.TransportError, Transient) as error:
                if not idempotent and isinstance(error, httpx.TransportError) and not isinstance(error, NOT_SENT):
                    raise Transient(0, type(error).__name__, f"{method} {url.split('?')[0]}: {error}"
                                    " (not retried: Graph may have carried it out)") from error
                attempt += 1
                await self._pause(error, attempt, method, url)

    async def _pause(self, error: Exception, attempt: int, method: str, url: str) -> None:
        limit = MAX_RATE_LIMIT_ATTEMPTS if isinstance(error, RateLimited) else MAX_TRANSIENT_ATTEMPTS
        if attempt >= limit:
            if isinstance(error, GraphError):
                raise error
            raise Transient(0, type(error).__name__, f"{method} {url.split('?')[0]}: {error}") from error
        wait = self.backoff.wait(attempt, getattr(error, "retry_after", None))
        if isinstance(error, RateLimited):
            self.pacer.penalize(wait)
        logger.info("retrying %s %s in %.2fs after %s", method, url.split("?")[0], wait, error)
        await asyncio.sleep(wait)

    async def batch(self, requests: list[dict]) -> list[Any]:
        """GET/POST parts through `$batch` (20 per call); each result is JSON or a `GraphError`.
        Parts throttled or failing transiently are sent again after a backoff, a part answering 401
        after a token refresh; the caller sees final outcomes only."""
        results: list[Any] = [None] * len(requests)
        for start in range(0, len(requests), BATCH_LIMIT):
            indexes = list(range(start, min(start + BATCH_LIMIT, len(requests))))
            attempt = refreshes = 0  # per chunk
            while indexes:
                answer = await self.call("POST", "/$batch", units=len(indexes), json_body={"requests": [
                    {"id": str(i), "method": requests[i].get("method", "GET"), "url": requests[i]["url"],
                     "headers": {**prefer(), **requests[i].get("headers", {})},
                     **({"body": requests[i]["body"]} if "body" in requests[i] else {})} for i in indexes]})
                parts = {str(p.get("id")): p for p in (answer or {}).get("responses", []) if isinstance(p, dict)}
                outcomes = {i: part_outcome(parts.get(str(i))) for i in indexes}
                indexes = [i for i, o in outcomes.items() if isinstance(o, (Transient, Unauthorized))]
                for i, outcome in outcomes.items():
                    if i not in indexes:
                        results[i] = outcome
                refused = [outcomes[i] for i in indexes if isinstance(outcomes[i], Unauthorized)]
                failing = [outcomes[i] for i in indexes if isinstance(outcomes[i], Transient)]
                if refused:  # a token expiring between parts needs one refresh, never many
                    if refreshes >= 2:
                        raise refused[0]
                    refreshes += 1
                    await self.token(True)
                if failing:
                    attempt += 1
                    await self._pause(next((o for o in failing if isinstance(o, RateLimited)), failing[0]), attempt,
                                      "POST", self.base + "/$batch")
        return results


def decode(status: int, text: str, what: str) -> Any:
    import json

    try:
        parsed = json.loads(text)
    except ValueError:
        raise MalformedResponse(status, "malformedJson", f"{what} returned a body that is not JSON") from None
    return ProviderJson(parsed, text) if isinstance(parsed, dict) else parsed


def part_outcome(part: dict | None) -> Any:
    """One `$batch` response part as JSON or a GraphError."""
    if part is None:
        return Transient(0, "missingPart", "no answer for this batch part")
    status = int(part.get("status") or 0)
    headers = {str(k).lower(): v for k, v in (part.get("headers") or {}).items()}
    body = part.get("body")
    if status >= 400:
        return error_from_response(status, body if isinstance(body, dict) else (body or "{}"), headers.get("retry-after"))
    return body if body is not None else {}
