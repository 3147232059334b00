"""How fast the sandbox serves messages.get through batch requests (quotas off).

The sandbox must never be what limits a sync benchmark: the target is 2,000 messages.get per
second through batches of 100. Prints the figure, the ratio to the target, and the command.

    .venv/bin/python bench/sandbox_bench.py [--messages 5000] [--threads 4] [--batch 100]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox.google import Sandbox  # noqa: E402

TARGET_PER_SECOND = 2000
USER = "bench@acme.test"


def batch_body(ids: list[str], boundary: str) -> bytes:
    parts = [f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <item{n}>\r\n\r\n"
             f"GET /gmail/v1/users/me/messages/{mid}?format=full HTTP/1.1\r\n\r\n" for n, mid in enumerate(ids)]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()

    sb = Sandbox(seed=0, quota_units_per_window=None, calendar_requests_per_window=None,
                 max_concurrent_per_user=None)
    started = time.perf_counter()
    sb.generate([USER], messages=args.messages, events=0)
    generated = time.perf_counter() - started
    sb.start()
    token = sb.issue_tokens(USER, ["https://www.googleapis.com/auth/gmail.readonly"])["access_token"]
    ids = sb.message_ids(USER)
    chunks = [ids[i:i + args.batch] for i in range(0, len(ids), args.batch)]
    fetched = [0]
    failures = [0]
    lock = threading.Lock()

    def worker(mine: list[list[str]]) -> None:
        with httpx.Client(base_url=sb.base_url, timeout=60,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            for chunk in mine:
                boundary = "bench_boundary"
                answer = client.post("/batch/gmail/v1", content=batch_body(chunk, boundary),
                                     headers={"Content-Type": f"multipart/mixed; boundary={boundary}"})
                ok = answer.status_code == 200 and answer.content.count(b"HTTP/1.1 200 OK") == len(chunk)
                with lock:
                    fetched[0] += len(chunk) if ok else 0
                    failures[0] += 0 if ok else 1

    threads = [threading.Thread(target=worker, args=(chunks[n::args.threads],)) for n in range(args.threads)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    sb.stop()

    rate = fetched[0] / elapsed if elapsed else 0.0
    print(f"command: {' '.join(shlex.quote(a) for a in [sys.executable, *sys.argv])}")
    print(f"generated {len(ids)} messages in {generated:.1f} s")
    print(f"fetched {fetched[0]} messages (format=full) in {len(chunks)} batches of <= {args.batch} "
          f"from {args.threads} threads in {elapsed:.2f} s; failed batches: {failures[0]}")
    print(f"messages.get per second: {rate:,.0f}  (target {TARGET_PER_SECOND:,}/s, ratio {rate / TARGET_PER_SECOND:.2f}x)")
    from bench.common import record, report

    record("sandbox generate messages/s", len(ids) / generated if generated else 0.0, "messages/s",
           " ".join(["python", *sys.argv]))
    report("sandbox messages.get/s through batches", rate, TARGET_PER_SECOND, 1.0,
           f"{rate:,.0f}/s vs {TARGET_PER_SECOND:,}/s target", " ".join(["python", *sys.argv]))


if __name__ == "__main__":
    main()
