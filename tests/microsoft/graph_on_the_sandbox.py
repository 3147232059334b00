"""A bare `GraphClient` on the Microsoft sandbox (real HTTPS, the sandbox's CA trusted) for the
client's unit tests: a token the sandbox issued, a pacer of the test's choosing, no database."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from typing import AsyncIterator

import httpx

from worker.providers.microsoft.capabilities import MAIL_READ, MAIL_READWRITE, MAIL_SEND, OFFLINE_ACCESS
from worker.providers.microsoft.client.http import GraphClient
from worker.sync.pacing import Backoff, Pacer


class RecordingPacer(Pacer):
    """A pacer that never waits and remembers every `acquire(units)` (what the client spent)."""

    def __init__(self) -> None:
        super().__init__(0)  # a rate of 0: disabled, acquire returns at once
        self.spent: list[float] = []
        self.penalties: list[float] = []

    async def acquire(self, units: float) -> None:
        self.spent.append(units)
        await super().acquire(units)

    def penalize(self, seconds: float) -> None:
        self.penalties.append(seconds)


@contextlib.asynccontextmanager
async def graph_client(sandbox, email: str, pacer: Pacer, base: str | None = None) -> AsyncIterator[GraphClient]:
    """A GraphClient for `email` on the sandbox's Graph (`base`: another base URL for Graph)."""
    tokens = sandbox.issue_tokens(email, [MAIL_READ, MAIL_READWRITE, MAIL_SEND, OFFLINE_ACCESS])

    async def token(force_refresh: bool) -> str:
        return tokens["access_token"]

    verify = ssl.create_default_context(cafile=str(sandbox.ca_path))
    async with httpx.AsyncClient(timeout=10, verify=verify) as http:
        yield GraphClient(http, base or f"{sandbox.base_url}/v1.0", token, pacer, asyncio.Semaphore(4),
                          Backoff(base=0.01, cap=0.05))
