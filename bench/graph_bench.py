"""Outlook full-sync throughput against the Microsoft sandbox's Graph request budget.

Graph limits each app and mailbox to a number of requests per window (Outlook: 10,000 per 10
minutes), and every part of a `$batch` is one request of that budget. A full sync is limited by
it, so its figure is the Graph requests per second the worker got admitted divided by the budget
per second (target >= 0.9, issue 12), with zero failed jobs; messages per second is shown beside
it to read next to Gmail's. The budget is small (600 requests per 60 s by default) so a run of
about a minute is bound by it rather than by this machine; the worker paces with the same budget
scaled to ten minutes. Requests are counted in the sandbox's request log: admitted ones are those
charged to the budget (refusals, 429, cost nothing and are counted apart). The sandbox runs in its
own process (`python -m sandbox serve`, which starts the Microsoft sandbox beside Google's).

    .venv/bin/python bench/graph_bench.py [--messages 600] [--requests 600] [--window 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import ssl
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import psycopg  # noqa: E402

from bench.common import bench_database, record, report  # noqa: E402

SCOPES = ["Mail.Read", "offline_access"]
# the generator files every message in one of these (inbox, sent items, archive): syncing the three
# reads the whole mailbox, so every generated message must be staged
FOLDERS = ["inbox", "sentitems", "archive"]
MICROSOFT_ENV = ("INTEGRATIONS_MICROSOFT_BASE_URL", "INTEGRATIONS_MICROSOFT_CLIENT_ID",
                 "INTEGRATIONS_MICROSOFT_CLIENT_SECRET", "INTEGRATIONS_MICROSOFT_CA_BUNDLE")


def start_sandbox(user: str, messages: int) -> tuple[subprocess.Popen, dict[str, str]]:
    """`sandbox serve` in its own process (Google's quota off, it is not measured here); the
    Microsoft sandbox's settings as a dict."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--port", "0", "--print-env", "--quota", "0",
         "--users", user, "--messages", str(messages), "--events", "0"],
        stdout=subprocess.PIPE, text=True)
    env: dict[str, str] = {}
    while not all(name in env for name in MICROSOFT_ENV):
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("sandbox exited before printing its settings")
        name, _, value = line.strip().partition("=")
        env[name] = value
    return proc, {k: v for k, v in env.items() if k.startswith("INTEGRATIONS_MICROSOFT_")}


class Admin:
    """The Microsoft sandbox's admin API (`/_sandbox/...`) over HTTPS, trusting its CA."""

    def __init__(self, env: dict[str, str]) -> None:
        self.http = httpx.Client(base_url=env["INTEGRATIONS_MICROSOFT_BASE_URL"] + "/_sandbox", timeout=60,
                                 verify=ssl.create_default_context(cafile=env["INTEGRATIONS_MICROSOFT_CA_BUNDLE"]))

    def call(self, method: str, path: str, **kwargs) -> dict:
        response = self.http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    def set_budget(self, requests: int, window: float) -> dict:
        return self.call("PUT", "/quota", json={"requests_per_window": requests, "window_seconds": window,
                                                "max_concurrent_per_user": 4})

    def requests(self) -> list[dict]:
        return self.call("GET", "/requests")["requests"]


def connect_mailbox(url: str, admin: Admin, user: str):
    """One Outlook mailbox connected as `integrations connect microsoft` leaves it (tokens issued
    without the consent screen), syncing the generator's folders."""
    from worker.connections import create_connection, store_credentials
    from worker.crypto import keyring_from_settings
    from worker.settings import get_settings

    tokens = admin.call("POST", "/oauth/tokens", json={"email": user, "scopes": SCOPES})
    with psycopg.connect(url, row_factory=psycopg.rows.dict_row) as conn:
        row = create_connection(conn, tenant_id=uuid.uuid4(), profile_id=uuid.uuid4(), provider="microsoft",
                                account_id=user, capabilities={"sync_inbox_live": {"folders": FOLDERS}})
        store_credentials(conn, keyring_from_settings(get_settings()), row["id"],
                          {"token": tokens["access_token"], "refresh_token": tokens["refresh_token"],
                           "expiry": None, "scopes": SCOPES}, granted_scopes=SCOPES)
    return row["id"]


async def sync(url: str, connection_id) -> tuple[float, float, float, int, int]:
    """Run the live sync's job in a real worker; (start, end, seconds, messages staged, failed jobs)."""
    from worker.app import open_app_async
    from worker.tasks.dispatch import defer_live

    async with open_app_async(url, max_size=8) as app:
        await defer_live(connection_id, "sync_inbox_live")
        started, wall = time.perf_counter(), time.time()
        await app.run_worker_async(concurrency=1, wait=False, queues=["default"])
        elapsed, ended = time.perf_counter() - started, time.time()
    with psycopg.connect(url) as conn:
        staged = conn.execute("select count(*) from integrations.raw_heads where connection_id = %s"
                              " and resource_type = 'outlook.message'", (connection_id,)).fetchone()[0]
        failed = conn.execute("select count(*) from procrastinate_jobs where status = 'failed'").fetchone()[0]
    return wall, ended, elapsed, staged, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=600, help="messages in the mailbox")
    parser.add_argument("--requests", type=int, default=600, help="the sandbox's Graph budget: requests per window")
    parser.add_argument("--window", type=float, default=60.0, help="the budget's window in seconds")
    args = parser.parse_args()
    command = " ".join(shlex.quote(a) for a in ["python", *sys.argv])
    user = "solo@bench.example"
    print(f"generating {args.messages:,} messages for one Outlook mailbox ...", flush=True)
    sandbox, env = start_sandbox(user, args.messages)
    try:
        admin = Admin(env)
        admin.set_budget(args.requests, args.window)
        budget = args.requests / args.window  # requests per second the sandbox admits per mailbox
        os.environ.update(env)
        os.environ["INTEGRATIONS_MICROSOFT_REQUESTS_PER_TEN_MINUTES"] = str(round(budget * 600))
        from worker.settings import get_settings
        get_settings.cache_clear()
        with bench_database() as url:
            os.environ["INTEGRATIONS_DATABASE_URL"] = url
            get_settings.cache_clear()
            cid = connect_mailbox(url, admin, user)
            start, end, elapsed, staged, failed = asyncio.run(sync(url, cid))
        log = [e for e in admin.requests() if start <= e["time"] <= end]
        mine = [e for e in log if e.get("user") == user]
        admitted = sum(1 for e in mine if e.get("units"))  # charged to the budget; each $batch part is one
        refused = sum(1 for e in mine if e.get("status") == 429)
        parts = sum(1 for e in mine if e.get("in_batch"))
        envelopes = sum(1 for e in log if e.get("method_id") == "batch")  # not charged by the sandbox
        rate = admitted / elapsed
        report("outlook full sync, one mailbox (Graph req/s vs budget)", rate, budget, 0.9,
               f"{staged:,} messages in {elapsed:.1f} s = {staged / elapsed:,.1f}/s ({staged / elapsed * 60:,.0f}/min); "
               f"{admitted:,} Graph requests ({parts:,} of them parts of {envelopes} $batch calls, {refused} refused "
               f"with 429) = {rate:.2f}/s; budget {args.requests:,} per {args.window:g} s = {budget:.2f}/s; "
               f"failed jobs {failed}", command)
        record("outlook full sync, one mailbox: messages/s", staged / elapsed, "messages/s", command)
        assert failed == 0, f"{failed} failed jobs"
        assert staged == args.messages, f"staged {staged} of {args.messages} messages"
    finally:
        sandbox.terminate()
        sandbox.wait(10)


if __name__ == "__main__":
    main()
