"""A headless Chromium (Debian's `chromium`, `make chromium`) looking at a page of `serve`, as a
person would: the DOM it rendered and a screenshot, read back pixel by pixel.

The status page needs `Authorization: Bearer ...`, which a command-line browser cannot send: a
small local proxy adds it (`HeaderProxy`), so the browser's request is otherwise its own.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class HeaderProxy:
    """Forwards GETs to `target` with extra headers; `url` is where the browser points."""

    def __init__(self, target: str, headers: dict[str, str]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the stdlib's name
                answer = httpx.get(target + self.path, headers=headers, timeout=30)
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("content-type", "text/plain"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _run(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    command = [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, timeout=60, check=True)


def dump_dom(url: str, tmp: Path, extra: list[str] = ()) -> str:
    """The DOM of the page the browser ends on (`--virtual-time-budget=...` lets it follow a click)."""
    return _run([*extra, "--dump-dom", url], tmp / "profile-dom").stdout.decode()


def screenshot(url: str, path: Path, size: str = "1400,1000") -> Path:
    _run([f"--screenshot={path}", f"--window-size={size}", url], path.parent / "profile-shot")
    return path


def pixels(png: Path) -> tuple[int, int, list[tuple[int, int, int]]]:
    """(width, height, RGB pixels) of an 8-bit RGB or RGBA PNG (what Chromium writes)."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, color = header[:4]
    assert depth == 8 and color in (2, 6), f"unsupported PNG (depth {depth}, color type {color})"
    step = 3 if color == 2 else 4
    raw, stride = zlib.decompress(idat), width * step
    rows, previous, offset = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[offset], bytearray(raw[offset + 1:offset + 1 + stride])
        offset += 1 + stride
        for i in range(stride):  # undo the row filter (PNG spec: None, Sub, Up, Average, Paeth)
            a = line[i - step] if i >= step else 0
            b = previous[i]
            c = previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        previous = line
    return width, height, [tuple(row[i:i + 3]) for row in rows for i in range(0, stride, step)]
