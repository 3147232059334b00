"""The one HTTP client for Twilio's REST API: Basic auth with the API key, pacing, retries.

Every call spends one unit of the account's request budget (worker/sync/pacing.py) and holds one
of the account's concurrency slots. A 429 (error 20429: never processed) waits `Retry-After` and
goes again, and the pacer holds back as long, so a throttled sync is slower, never failed; 5xx
and dropped connections are retried with backoff — except a non-idempotent request (a message
create) that may have reached Twilio: that failure goes to the caller, whose retry looks first.
A 401 asks the stored key (auth/key.py) whether a reconnect replaced it: then it is used once more;
otherwise the connection is marked `needs_reauth` and `Unauthorized` raised.

Why not twilio-python: its objects drop the JSON we stage as-is, it never retries, exposes no
`Retry-After`, and its async client is another HTTP stack (aiohttp) beside the project's httpx.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx

from worker.observe.metrics import counted
from worker.providers.twilio.client.errors import (
    MalformedResponse,
    RateLimited,
    Transient,
    TwilioError,
    error_from_response,
)
from worker.store.staging import ProviderJson
from worker.sync.pacing import Backoff, Pacer

logger = logging.getLogger(__name__)

MAX_TRANSIENT_ATTEMPTS = 8
MAX_RATE_LIMIT_ATTEMPTS = 40
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class KeySource(Protocol):
    """The API key a client authenticates with, and what to do when Twilio refuses it."""

    def auth(self) -> tuple[str, str]:
        """(key SID, secret)"""

    async def refused(self, used: tuple[str, str]) -> bool:
        """True when a newer key replaced `used` (use it); False when `used` is the stored one (the
        connection is then marked `needs_reauth`)."""


class TwilioClient:
    def __init__(self, http: httpx.AsyncClient, base_url: str, key: KeySource, pacer: Pacer,
                 slots: asyncio.Semaphore, backoff: Backoff | None = None) -> None:
        self.http, self.base, self.key, self.pacer, self.slots = http, base_url, key, pacer, slots
        self.backoff = backoff or Backoff()
        self.calls = 0

    def url(self, path_or_uri: str) -> str:
        """A Twilio path (`/2010-04-01/...`, a `next_page_uri`) on our base; an absolute URL only when
        it is ours (the key is never sent to another host)."""
        if path_or_uri.startswith("/"):
            return self.base + path_or_uri
        if not path_or_uri.startswith(self.base + "/"):
            raise MalformedResponse(200, None, "Twilio returned a link outside its own base URL")
        return path_or_uri

    async def _send(self, method: str, url: str, auth: tuple[str, str], **kwargs) -> httpx.Response:
        async with self.slots:
            self.calls += 1
            return await counted("twilio", self.http.request(method, url, auth=auth,
                                                             headers={"Accept": "application/json"}, **kwargs))

    async def call(self, method: str, path: str, *, params: dict | None = None, data: dict | None = None,
                   idempotent: bool = True) -> Any:
        """One call with pacing and retries; the decoded JSON (a `ProviderJson`), None for an empty
        answer (a DELETE's 204).

        `idempotent=False` (a message create): only failures that prove the request was not carried
        out (429, a connection never made) are retried here; any other raises `Transient` or the
        error, and the caller's retry first looks for what the request may have created."""
        response = await self.request(method, path, params=params, data=data, idempotent=idempotent)
        if response.status_code == 204 or not response.content:
            return None
        return decode(response.status_code, response.text, f"{method} {self.url(path).split('?')[0]}")

    async def clock(self, path: str) -> datetime | None:
        """Twilio's clock now, to the second: the `Date` header of its answer to a GET of `path`
        (None when the answer has none)."""
        response = await self.request("GET", path)
        try:
            date = parsedate_to_datetime(response.headers.get("Date") or "")
        except (TypeError, ValueError, IndexError):
            return None
        return date if date.tzinfo else date.replace(tzinfo=timezone.utc)

    async def request(self, method: str, path: str, *, params: dict | None = None, data: dict | None = None,
                      idempotent: bool = True) -> httpx.Response:
        """`call`'s pacing, retries and errors; the successful answer as it came."""
        url = self.url(path)
        what = f"{method} {url.split('?')[0]}"
        attempt, swapped = 0, False
        while True:
            await self.pacer.acquire(1)
            auth = self.key.auth()
            try:
                response = await self._send(method, url, auth, params=params, data=data)
                # refused: a reconnect stored a new key meanwhile (once more with it), or the stored key
                # is the one refused (the connection is marked needs_reauth) and Unauthorized follows
                if response.status_code == 401 and await self.key.refused(auth) and not swapped:
                    swapped = True
                    continue
                if response.status_code >= 400:
                    raise error_from_response(response.status_code, response.content,
                                              response.headers.get("Retry-After"))
                return response
            except httpx.TransportError as error:
                if not idempotent and not isinstance(error, NOT_SENT):
                    raise Transient(0, None, f"{what}: {type(error).__name__} (not retried: Twilio may have"
                                    " carried it out)") from error
                attempt += 1
                await self._pause(error, attempt, what)
            except Transient as error:
                if not idempotent and not isinstance(error, RateLimited):
                    raise
                attempt += 1
                await self._pause(error, attempt, what)

    async def _pause(self, error: Exception, attempt: int, what: str) -> None:
        limit = MAX_RATE_LIMIT_ATTEMPTS if isinstance(error, RateLimited) else MAX_TRANSIENT_ATTEMPTS
        if attempt >= limit:
            if isinstance(error, TwilioError):
                raise error
            raise Transient(0, None, f"{what}: {type(error).__name__} {error}") from error
        retry_after = getattr(error, "retry_after", None)
        if isinstance(error, RateLimited):
            # Twilio says when the account may call again: that long, no longer; every caller of the
            # account holds back as long (the pacer)
            wait = retry_after if retry_after is not None else self.backoff.wait(attempt)
            self.pacer.penalize(wait)
        else:
            wait = self.backoff.wait(attempt, retry_after)
        logger.info("retrying %s in %.2fs after %s", what, wait, error)
        await asyncio.sleep(wait)


def decode(status: int, text: str, what: str) -> Any:
    try:
        parsed = json.loads(text)
    except ValueError:
        raise MalformedResponse(status, None, f"{what} returned a body that is not JSON") from None
    if not isinstance(parsed, dict):
        raise MalformedResponse(status, None, f"{what} returned JSON that is not an object")
    return ProviderJson(parsed, text)

