"""The HTTP transport: a standard-library threaded server that turns sockets into ``Request``s.

Kept free of any provider semantics; the only behaviour here is how to answer (keep-alive HTTP/1.1),
how to *not* answer (an injected connection reset closes the socket with RST) and, when given an
``ssl.SSLContext``, HTTPS (the TLS handshake runs in the connection's own thread, so a slow or
failing client never stalls the accept loop).
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .wire import Request


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ESF"
    sys_version = ""

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()
        # answers are written whole; without this, Nagle + delayed ACK add ~40 ms per keep-alive call
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        req = Request.from_target(self.command, self.path, dict(self.headers.items()), self._read_body())
        response = self.server.app.handle(req)
        if response.reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        self.log_request(response.status)
        self.send_response_only(response.status)
        self.send_header("Server", self.version_string())
        if response.header("Date") is None:  # a provider with its own clock dated the answer
            self.send_header("Date", self.date_time_string())
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.command != "HEAD":
            self._headers_buffer.append(b"\r\n" + response.body)  # one write: headers + body
            self.flush_headers()
        else:
            self.end_headers()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format, *args) -> None:  # noqa: A002 - the stdlib's signature
        pass

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:
        pass  # clients dropping connections mid-answer are expected (timeouts, resets)


class HttpServer:
    """Serve ``app`` on ``host:port`` from a background thread."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, ssl_context: ssl.SSLContext | None = None) -> None:
        self._server = _Server((host, port), _Handler)
        if ssl_context is not None:
            self._server.socket = ssl_context.wrap_socket(self._server.socket, server_side=True,
                                                          do_handshake_on_connect=False)
        self.scheme = "https" if ssl_context is not None else "http"
        self._server.app = app
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="sandbox-http", daemon=True)

    @property
    def app(self):
        return self._server.app

    @app.setter
    def app(self, app) -> None:
        """Swap the app in place (``reset()`` builds a new one) without rebinding the port."""
        self._server.app = app

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return host, port

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
