"""The loopback redirect of an installed-app OAuth flow, for every provider's `connect`.

A one-shot HTTP server on 127.0.0.1: the consent page redirects the browser to it with `code`
and `state` (or `error`), and the connect flow waits for that answer. Codes never reach a log.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from worker.errors import IntegrationsError


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
