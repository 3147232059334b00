"""The one HTTP client for QuickBooks' Accounting API: bearer token, pacing per company, retries.

Intuit meters each company and app: 500 requests a minute and 10 in flight. One token bucket and
one semaphore per company here (in each process), so every capability of a company shares them.
429 and 5xx wait (`Retry-After` when given) and retry, so a throttled sync is slower, never failed.
A 401 refreshes the access token once (it may have expired early), then asks the stored grant.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Protocol

import httpx

from worker.observe.metrics import counted
from worker.providers.quickbooks.client.errors import (
    MalformedResponse,
    QuickBooksError,
    RateLimited,
    Transient,
    Unauthorized,
    error_from_answer,
)
from worker.store.staging import ProviderJson
from worker.sync.pacing import Backoff, Pacer

logger = logging.getLogger(__name__)

MAX_TRANSIENT_ATTEMPTS = 8
MAX_RATE_LIMIT_ATTEMPTS = 40


class TokenSource(Protocol):
    async def __call__(self, force_refresh: bool = False) -> str: ...


class QuickBooksClient:
    def __init__(self, http: httpx.AsyncClient, api_base: str, realm_id: str, token: TokenSource, pacer: Pacer,
                 slots: asyncio.Semaphore, minor_version: int = 75, backoff: Backoff | None = None) -> None:
        self.http, self.base, self.realm, self.token = http, api_base, realm_id, token
        self.pacer, self.slots, self.minor_version = pacer, slots, minor_version
        self.backoff = backoff or Backoff()
        self.calls = 0

    @property
    def company_url(self) -> str:
        return f"{self.base}/{self.realm}"

    async def get(self, path: str, params: dict | None = None, *, cdc: bool = False) -> ProviderJson:
        """GET `/v3/company/{realm}/{path}` with pacing and retries: the decoded answer."""
        url = f"{self.company_url}/{path}"
        query = {**(params or {}), "minorversion": str(self.minor_version)}
        attempt, refreshed = 0, False
        while True:
            await self.pacer.acquire(1)
            try:
                token = await self.token(False)
                async with self.slots:
                    self.calls += 1
                    response = await counted("quickbooks", self.http.get(url, params=query, headers={
                        "Authorization": f"Bearer {token}", "Accept": "application/json"}))
                answer = decode(response)
                if response.status_code < 400 and answer is not None:
                    return answer
                error = error_from_answer(response.status_code, answer, response.headers.get("Retry-After"),
                                          response.headers.get("intuit_tid"), cdc=cdc)
                if isinstance(error, Unauthorized) and not refreshed:
                    refreshed = True  # an access token may die before its expiry: refresh once
                    await self.token(True)
                    continue
                raise error
            except (httpx.TransportError, Transient) as error:
                attempt += 1
                await self._pause(error, attempt, path)

    async def _pause(self, error: Exception, attempt: int, path: str) -> None:
        limit = MAX_RATE_LIMIT_ATTEMPTS if isinstance(error, RateLimited) else MAX_TRANSIENT_ATTEMPTS
        if attempt >= limit:
            if isinstance(error, QuickBooksError):
                raise error
            raise Transient(type(error).__name__, str(error)) from error
        wait = self.backoff.wait(attempt, getattr(error, "retry_after", None))
        if isinstance(error, RateLimited):
            self.pacer.penalize(wait)
        logger.info("retrying QuickBooks %s in %.2fs after %s", path, wait, error)
        await asyncio.sleep(wait)


def decode(response: httpx.Response) -> ProviderJson | None:
    """The answer as JSON (keeping QBO's text), None when a failure status carries no JSON."""
    try:
        parsed = json.loads(response.text)
    except ValueError:
        if response.status_code >= 400:
            return None
        raise MalformedResponse("malformed_json", "the answer is not JSON", status=response.status_code) from None
    if not isinstance(parsed, dict):
        raise MalformedResponse("malformed_json", "the answer is not a JSON object", status=response.status_code)
    return ProviderJson(parsed, response.text)
