"""The one HTTP client for Slack's Web API: bot token, pacing per method tier, retries, errors.

Slack limits each method by its tier, per method, workspace and app (Tier 2 about 20, Tier 3 about
50, Tier 4 about 100 requests a minute; history and replies 1 a minute for non-Marketplace apps):
one token bucket per workspace and method here, filled at its tier's rate. 429 and 5xx wait
(`Retry-After` when given) and retry, so a rate-limited sync is slower, never failed. An expired
rotating token is refreshed once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable, Protocol

import httpx

from worker.observe.metrics import counted
from worker.providers.slack.client.errors import (
    MalformedResponse,
    RateLimited,
    SlackError,
    Transient,
    Unauthorized,
    error_from_answer,
)
from worker.store.staging import ProviderJson
from worker.sync.pacing import Backoff, Pacer

logger = logging.getLogger(__name__)

class TokenSource(Protocol):
    async def __call__(self, force_refresh: bool = False) -> str: ...

    async def refused(self, token: str) -> bool:
        """Slack refused this token: True when another one was adopted (try again)."""

# method → tier (Slack's rate-limit tier of each method this provider calls)
TIERS = {"auth.test": 4, "auth.revoke": 3, "conversations.list": 2, "conversations.info": 3,
         "conversations.members": 4, "conversations.history": "history", "conversations.replies": "history",
         "users.list": 2, "users.info": 4, "chat.postMessage": "post"}
MAX_TRANSIENT_ATTEMPTS = 8
MAX_RATE_LIMIT_ATTEMPTS = 40
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class SlackClient:
    def __init__(self, http: httpx.AsyncClient, api_base: str, token: TokenSource,
                 pacers: Callable[[str], Pacer], backoff: Backoff | None = None) -> None:
        self.http, self.base, self.token, self.pacers = http, api_base, token, pacers
        self.backoff = backoff or Backoff()
        self.calls = 0

    async def call(self, method: str, params: dict | None = None, *, json_body: dict | None = None,
                   idempotent: bool = True) -> ProviderJson:
        """One Web API method with pacing and retries: the decoded answer (`ok` true).

        Reads go as GET with query parameters, writes (`json_body`) as a JSON POST, as Slack's own
        SDK sends them. `idempotent=False` (a post): a transport failure after the request may have
        reached Slack is not retried here; it raises `Transient` and the caller's retry looks first."""
        return (await self.exchange(method, params, json_body=json_body, idempotent=idempotent))[1]

    async def clock(self) -> datetime | None:
        """Slack's clock now, to the second: the `Date` header of its answer to `auth.test` (None
        when the answer has none)."""
        response, _ = await self.exchange("auth.test")
        try:
            date = parsedate_to_datetime(response.headers.get("Date") or "")
        except (TypeError, ValueError, IndexError):
            return None
        return date if date.tzinfo else date.replace(tzinfo=timezone.utc)

    async def exchange(self, method: str, params: dict | None = None, *, json_body: dict | None = None,
                       idempotent: bool = True) -> tuple[httpx.Response, ProviderJson]:
        """`call`, with the HTTP answer it decoded."""
        pacer = self.pacers(method)
        attempt, refreshed, adopted = 0, False, False
        while True:
            await pacer.acquire(1)
            try:
                token = await self.token(False)
                response = await self._send(method, token, params, json_body)
                answer = decode(response, method)
                if answer is not None and answer.get("ok") is True and response.status_code < 400:
                    return response, answer
                error = error_from_answer(method, response.status_code, answer, response.headers.get("Retry-After"))
                if error.code == "token_expired" and not refreshed:
                    refreshed = True
                    await self.token(True)
                    continue
                if isinstance(error, Unauthorized) and not adopted:
                    adopted = True
                    if await self.token.refused(token):
                        continue
                raise error
            except (httpx.TransportError, Transient) as error:
                if not idempotent and isinstance(error, httpx.TransportError) and not isinstance(error, NOT_SENT):
                    raise Transient(type(error).__name__, f"{error} (not retried: Slack may have carried it out)",
                                    method=method) from error
                attempt += 1
                await self._pause(error, attempt, method, pacer)

    async def _send(self, method: str, token: str, params: dict | None, json_body: dict | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        url = f"{self.base}/{method}"
        self.calls += 1
        if json_body is not None:
            return await counted("slack", self.http.post(url, json=json_body, headers=headers))
        return await counted("slack", self.http.get(url, params={k: v for k, v in (params or {}).items()
                                                                 if v is not None}, headers=headers))

    async def _pause(self, error: Exception, attempt: int, method: str, pacer: Pacer) -> None:
        limit = MAX_RATE_LIMIT_ATTEMPTS if isinstance(error, RateLimited) else MAX_TRANSIENT_ATTEMPTS
        if attempt >= limit:
            if isinstance(error, SlackError):
                raise error
            raise Transient(type(error).__name__, str(error), method=method) from error
        wait = self.backoff.wait(attempt, getattr(error, "retry_after", None))
        if isinstance(error, RateLimited):
            pacer.penalize(wait)
        logger.info("retrying Slack %s in %.2fs after %s", method, wait, error)
        await asyncio.sleep(wait)

    async def pages(self, method: str, params: dict, key: str, cursor: str | None = None):
        """(items, next cursor) of each page of a cursor-paged method, from `cursor` on."""
        while True:
            answer = await self.call(method, {**params, "cursor": cursor or None})
            items = answer.get(key)
            if not isinstance(items, list):
                raise MalformedResponse("malformed_answer", f"no `{key}` list", method=method)
            cursor = ((answer.get("response_metadata") or {}).get("next_cursor") or None)
            yield answer, items, cursor
            if not cursor:
                return


def decode(response: httpx.Response, method: str) -> ProviderJson | None:
    """The answer as JSON (keeping Slack's text), None when a failure status carries no JSON."""
    try:
        parsed = json.loads(response.text)
    except ValueError:
        if response.status_code >= 400:
            return None
        raise MalformedResponse("malformed_json", "the answer is not JSON", method=method) from None
    if not isinstance(parsed, dict):
        raise MalformedResponse("malformed_json", "the answer is not a JSON object", method=method)
    return ProviderJson(parsed, response.text)
