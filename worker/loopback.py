"""The loopback redirect of an installed-app OAuth flow, for every provider's `connect`.

A one-shot HTTP server on 127.0.0.1: the consent page redirects the browser to it with `code`
and `state` (or `error`), and the connect flow waits for that answer. Codes never reach a log.
The code is bound to this flow by PKCE (RFC 7636): only who holds the verifier can redeem it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from worker.errors import IntegrationsError


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> "Pkce":
        verifier = secrets.token_urlsafe(64)[:96]
        digest = hashlib.sha256(verifier.encode()).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


class LoopbackReceiver:
    """A one-shot HTTP server on 127.0.0.1 that waits for the redirect carrying `code` and `state`."""

    def __init__(self) -> None:
        self.result: dict[str, str] = {}
        self._done = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                if "code" not in query and "error" not in query:
                    self.send_response(404)
                    self.end_headers()
                    return
                receiver.result = query
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.end_headers()
                self.wfile.write(b"Connected. You can close this window.\n")
                receiver._done.set()

            def log_message(self, *args):  # keep codes out of logs
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "LoopbackReceiver":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait(self, timeout: float) -> dict[str, str]:
        if not self._done.wait(timeout):
            raise IntegrationsError(f"no answer on {self.redirect_uri} within {timeout:.0f}s: consent not given")
        return self.result
