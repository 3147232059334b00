"""The one HTTP client for Google APIs: auth header, pacing, retries, error mapping, batches.

Gmail and Calendar both call `GoogleClient.call`; a 401 refreshes the token once (a batch: at most
`MAX_BATCH_TOKEN_REFRESHES` times), rate limits and transient failures back off and retry, everything
else surfaces as a typed `GoogleError`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, Awaitable, Callable

import httpx

from worker.observe.metrics import counted
from worker.providers.google.client.errors import (
    GoogleError,
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

MAX_TRANSIENT_ATTEMPTS = 8
MAX_RATE_LIMIT_ATTEMPTS = 40
# a batch whose parts answer 401 refreshes the token at most this often, then fails the run (which
# records it and backs off): a token expiring between parts needs one refresh, never a hundred. Once
# a refresh has not cured a part while other parts of the batch got past authentication, that 401
# is the part's own: its result (an item failure for the caller), and the other parts go on
MAX_BATCH_TOKEN_REFRESHES = 2
# transport errors raised before a request could reach the server: safe to retry any call
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass
class BatchCall:
    method: str
    path: str  # absolute path, e.g. /gmail/v1/users/me/messages/abc?format=full
    units: int


class GoogleClient:
    def __init__(self, http: httpx.AsyncClient, token: TokenSource, pacer: Pacer,
                 backoff: Backoff | None = None) -> None:
        self.http = http
        self.token = token
        self.pacer = pacer
        self.backoff = backoff or Backoff()
        self.calls = 0

    async def _send(self, method: str, url: str, *, force_refresh: bool = False, **kwargs) -> httpx.Response:
        access = await self.token(force_refresh)
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {access}"}
        self.calls += 1
        return await counted("google", self.http.request(method, url, headers=headers, **kwargs))

    async def call(self, method: str, url: str, *, units: int, params: dict | None = None,
                   json_body: Any = None, headers: dict | None = None, content: bytes | None = None,
                   expect_json: bool = True, idempotent: bool = True) -> Any:
        """One API call with pacing and retries; returns the decoded JSON (or None for 204).

        `idempotent=False` (messages.send, drafts.create): a transport failure after the request may
        have reached Google (a timeout, a reset, a dropped answer) is not retried here -- Google may
        have carried it out. It raises `Transient`, and the caller's own retry first checks whether it
        happened (send_email looks the message up by its Message-ID)."""
        attempt = 0
        refreshed = False
        while True:
            await self.pacer.acquire(units)
            try:
                response = await self._send(method, url, force_refresh=False, params=params, json=json_body,
                                            headers=dict(headers or {}), content=content)
                if response.status_code == 401 and not refreshed:
                    refreshed = True
                    await self.token(True)
                    continue
                if response.status_code >= 400:
                    raise error_from_response(response.status_code, response.content,
                                              response.headers.get("Retry-After"))
                if not expect_json or response.status_code == 204 or not response.content:
                    return None
                try:
                    return response.json()
                except ValueError:
                    raise MalformedResponse(response.status_code, "malformedJson",
                                            f"{method} {url.split('?')[0]} returned a body that is not JSON") from None
            except (httpx.TransportError, Transient) as error:
                if not idempotent and isinstance(error, httpx.TransportError) and not isinstance(error, NOT_SENT):
                    raise Transient(0, type(error).__name__, f"{method} {url.split('?')[0]}: {error}"
                                    " (not retried: Google may have carried it out)") from error
                attempt += 1
                await self._pause(error, attempt, method, url)

    async def _pause(self, error: Exception, attempt: int, method: str, url: str) -> None:
        limit = MAX_RATE_LIMIT_ATTEMPTS if isinstance(error, RateLimited) else MAX_TRANSIENT_ATTEMPTS
        if attempt >= limit:
            if isinstance(error, GoogleError):
                raise error
            raise Transient(0, type(error).__name__, f"{method} {url.split('?')[0]}: {error}") from error
        retry_after = getattr(error, "retry_after", None)
        wait = self.backoff.wait(attempt, retry_after)
        if isinstance(error, RateLimited):
            self.pacer.penalize(wait)
        logger.info("retrying %s %s in %.2fs after %s", method, url.split("?")[0], wait, error)
        await asyncio.sleep(wait)

    async def batch(self, batch_url: str, calls: list[BatchCall]) -> list[Any]:
        """Run calls in one multipart/mixed batch; each result is JSON or a GoogleError.

        Parts that fail with a retryable error are sent again in a smaller batch after a backoff,
        so the caller sees only final outcomes. A part still answering 401 after a token refresh,
        while other parts were let in, comes back as its `Unauthorized`; only a batch whose every
        part answers 401 through `MAX_BATCH_TOKEN_REFRESHES` refreshes raises (the token's problem).
        """
        results: list[Any] = [None] * len(calls)
        pending = list(range(len(calls)))
        attempt = refreshes = 0
        accepted = False  # some part got past authentication: the token works
        while pending:
            await self.pacer.acquire(sum(calls[i].units for i in pending))
            try:
                outcomes = await self._batch_once(batch_url, [calls[i] for i in pending])
            except (httpx.TransportError, Transient) as error:
                attempt += 1
                await self._pause(error, attempt, "POST", batch_url)
                continue
            retry, worst, expired = [], None, None
            accepted = accepted or any(not isinstance(o, (Unauthorized, Transient)) for o in outcomes)
            for index, outcome in zip(pending, outcomes):
                if isinstance(outcome, Unauthorized) and refreshes and accepted:
                    results[index] = outcome  # a refresh did not cure it while the token works: the item's own
                elif isinstance(outcome, Unauthorized):
                    retry.append(index)
                    expired = outcome
                elif isinstance(outcome, Transient):
                    retry.append(index)
                    worst = outcome if worst is None or isinstance(outcome, RateLimited) else worst
                else:
                    results[index] = outcome
            if expired is not None:
                if refreshes >= MAX_BATCH_TOKEN_REFRESHES:
                    raise Unauthorized(401, expired.reason, f"{len(retry)} batch parts still answer 401 after"
                                       f" {refreshes} token refreshes: {expired.message}")
                refreshes += 1
                await self.token(True)
                if refreshes > 1 and worst is None:  # a fresh token was refused: not a clock edge
                    attempt += 1
                    await self._pause(expired, attempt, "POST", batch_url)
            pending = retry
            if worst is not None:
                attempt += 1
                await self._pause(worst, attempt, "POST", batch_url)
        return results

    async def _batch_once(self, batch_url: str, calls: list[BatchCall]) -> list[Any]:
        boundary = "batch_" + uuid.uuid4().hex
        parts = []
        for n, call in enumerate(calls):
            parts.append(
                f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <item{n}>\r\n\r\n"
                f"{call.method} {call.path} HTTP/1.1\r\n\r\n"
            )
        body = ("".join(parts) + f"--{boundary}--\r\n").encode()
        response = await self._send("POST", batch_url, content=body,
                                    headers={"Content-Type": f"multipart/mixed; boundary={boundary}"})
        if response.status_code == 401:
            await self.token(True)
            response = await self._send("POST", batch_url, content=body,
                                        headers={"Content-Type": f"multipart/mixed; boundary={boundary}"})
        if response.status_code >= 400:
            raise error_from_response(response.status_code, response.content, response.headers.get("Retry-After"))
        return parse_batch_response(response.headers.get("Content-Type", ""), response.content, len(calls))


def parse_batch_response(content_type: str, body: bytes, expected: int) -> list[Any]:
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise MalformedResponse(200, "malformedBatch", "batch response is not multipart")
    outcomes: list[Any] = [Transient(0, "missingPart", "no answer for this part")] * expected
    for part in message.iter_parts():
        content_id = part.get("Content-ID", "")
        digits = "".join(ch for ch in content_id.split("item")[-1] if ch.isdigit())
        if not digits or int(digits) >= expected:
            continue
        outcomes[int(digits)] = _parse_inner_response(part.get_payload(decode=True) or b"")
    return outcomes


def _parse_inner_response(raw: bytes) -> Any:
    head, _, body = raw.partition(b"\r\n\r\n")
    if not _:
        head, _, body = raw.partition(b"\n\n")
    status_line = head.split(b"\n", 1)[0].decode("latin-1").strip()
    try:
        status = int(status_line.split()[1])
    except (IndexError, ValueError):
        return MalformedResponse(200, "malformedBatch", f"bad status line {status_line!r}")
    retry_after = None
    for line in head.split(b"\n")[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "retry-after":
            retry_after = value.strip()
    if status >= 400:
        return error_from_response(status, body, retry_after)
    try:
        text = body.decode("utf-8")
        parsed = json.loads(text)
    except ValueError:
        return MalformedResponse(status, "malformedJson", "batch part body is not JSON")
    return ProviderJson(parsed, text) if isinstance(parsed, dict) else parsed
