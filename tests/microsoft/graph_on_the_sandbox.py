"""A bare `GraphClient` on the Microsoft sandbox (real HTTPS, the sandbox's CA trusted) for the
client's unit tests: a token the sandbox issued, a pacer of the test's choosing, no database; and
a host that is not Graph, recording whatever reaches it."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import AsyncIterator, Iterator

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


@dataclass
class ForeignHost:
    """A host that is not Graph: records every request made to it (method, path, headers)."""

    url: str
    seen: list = field(default_factory=list)


@contextlib.contextmanager
def foreign_host() -> Iterator[ForeignHost]:
    host = ForeignHost("")

    class Handler(BaseHTTPRequestHandler):
        def _record(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            host.seen.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
            body = b'{"value": []}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_DELETE = _record  # noqa: N815 - the stdlib's names

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield host
    finally:
        server.shutdown()
        server.server_close()
