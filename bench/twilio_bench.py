"""Twilio live-sync throughput against the Twilio sandbox's per-account request rate.

Twilio meters each account's REST requests (the sandbox: `requests_per_second` over a moving
one-second window, 429 / 20429 with `Retry-After` beyond it). A backfill of many texts and calls
is bound by that rate once pages are small enough, so the figure is the requests per second the
worker got admitted (answered, not refused) while both live syncs of one account ran side by side
— sharing the account's pacer — divided by the rate (target >= 0.9), with every dated text and call
staged and no failed job. Texts and calls per second are shown beside it. The sandbox runs in its
own process (`python -m sandbox serve --twilio-port 0`); the worker paces at the sandbox's rate.
The default rate (10/s, pages of 50) leaves each fetch-and-stage of a page its 100 ms: at a rate
whose interval is shorter than staging a page, the figure measures this machine, not the pacing.

    .venv/bin/python bench/twilio_bench.py [--messages 8000] [--calls 2000] [--rate 10] [--page-size 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import psycopg  # noqa: E402

from bench.common import bench_database, record, report  # noqa: E402

CAPABILITIES = ("sync_sms_live", "sync_calls_live")


def start_sandbox() -> tuple[subprocess.Popen, str]:
    """`sandbox serve` in its own process; the Twilio sandbox's base URL."""
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--port", "0", "--print-env", "--quota", "0",
                             "--twilio-port", "0"], stdout=subprocess.PIPE, text=True)
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("sandbox exited before printing its settings")
        name, _, value = line.strip().partition("=")
        if name == "INTEGRATIONS_TWILIO_BASE_URL":
            return proc, value


class Admin:
    """The Twilio sandbox's admin API (`/_sandbox/...`)."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url + "/_sandbox", timeout=120)

    def call(self, method: str, path: str, **kwargs):
        response = self.http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def requests(self) -> list[dict]:
        return self.call("GET", "/requests")["requests"]


def connect_account(url: str, generated: dict) -> uuid.UUID:
    """The generated account connected as `integrations connect twilio` leaves it."""
    from worker.connections import create_connection, store_credentials
    from worker.crypto import keyring_from_settings
    from worker.settings import get_settings

    window = {"backfill_days": 60}
    with psycopg.connect(url, row_factory=psycopg.rows.dict_row) as conn:
        row = create_connection(conn, tenant_id=uuid.uuid4(), profile_id=None, provider="twilio",
                                account_id=generated["account_sid"],
                                capabilities={"sync_sms_live": window, "sync_calls_live": window})
        store_credentials(conn, keyring_from_settings(get_settings()), row["id"],
                          {"account_sid": generated["account_sid"], "api_key": generated["key_sid"],
                           "api_secret": generated["key_secret"]}, granted_scopes=["api_key"])
    return row["id"]


async def sync(url: str, connection_id) -> tuple[float, float, float, dict[str, int], int]:
    """Both live syncs in one real worker; (start, end, seconds, staged per resource, failed jobs)."""
    from worker.app import open_app_async
    from worker.tasks.dispatch import defer_live

    async with open_app_async(url, max_size=8) as app:
        for capability in CAPABILITIES:
            await defer_live(connection_id, capability)
        started, wall = time.perf_counter(), time.time()
        await app.run_worker_async(concurrency=2, wait=False, queues=["default"])
        elapsed, ended = time.perf_counter() - started, time.time()
    with psycopg.connect(url) as conn:
        staged = dict(conn.execute("select resource_type, count(*) from integrations.raw_heads where connection_id = %s"
                                   " group by 1", (connection_id,)).fetchall())
        failed = conn.execute("select count(*) from procrastinate_jobs where status = 'failed'").fetchone()[0]
    return wall, ended, elapsed, staged, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=8000, help="texts in the account")
    parser.add_argument("--calls", type=int, default=2000, help="calls in the account")
    parser.add_argument("--rate", type=float, default=10.0, help="the sandbox's requests per second per account")
    parser.add_argument("--page-size", type=int, default=50, help="PageSize of the worker's list calls")
    args = parser.parse_args()
    command = " ".join(shlex.quote(a) for a in ["python", *sys.argv])
    sandbox, base_url = start_sandbox()
    try:
        admin = Admin(base_url)
        print(f"generating {args.messages:,} texts and {args.calls:,} calls for one Twilio account ...", flush=True)
        generated = admin.call("POST", "/twilio/generate", json={"messages": args.messages, "calls": args.calls})
        account = generated["account_sid"]
        dated = {"twilio.message": sum(1 for m in admin.call("GET", f"/twilio/accounts/{account}/messages")["messages"]
                                       if m.get("date_sent")),
                 "twilio.call": sum(1 for c in admin.call("GET", f"/twilio/accounts/{account}/calls")["calls"]
                                    if c.get("start_time"))}
        admin.call("PUT", "/twilio/rate", json={"requests_per_second": args.rate})
        os.environ.update({"INTEGRATIONS_TWILIO_BASE_URL": base_url,
                           "INTEGRATIONS_TWILIO_REQUESTS_PER_SECOND": str(args.rate),
                           "INTEGRATIONS_TWILIO_PAGE_SIZE": str(args.page_size)})
        from worker.settings import get_settings

        get_settings.cache_clear()
        with bench_database() as url:
            os.environ["INTEGRATIONS_DATABASE_URL"] = url
            get_settings.cache_clear()
            cid = connect_account(url, generated)
            start, end, elapsed, staged, failed = asyncio.run(sync(url, cid))
        mine = [e for e in admin.requests() if start <= e["time"] <= end and e.get("user") == account]
        admitted = sum(1 for e in mine if e.get("units") and e.get("status") != 429)
        refused = sum(1 for e in mine if e.get("status") == 429)
        rate = admitted / elapsed
        times = sorted(e["time"] for e in mine)
        print(f"first request {times[0] - start:.2f} s after the worker started, the last {end - times[-1]:.2f} s"
              " before it stopped")
        objects = sum(staged.values())
        report("twilio backfill, texts + calls of one account (req/s vs rate)", rate, args.rate, 0.9,
               f"{staged.get('twilio.message', 0):,} texts and {staged.get('twilio.call', 0):,} calls in {elapsed:.1f} s"
               f" = {objects / elapsed:,.1f}/s; {admitted:,} requests admitted ({refused} refused with 429) ="
               f" {rate:.2f}/s; rate {args.rate:g}/s; page size {args.page_size}; failed jobs {failed}", command)
        record("twilio backfill, one account: texts and calls/s", objects / elapsed, "objects/s", command)
        assert failed == 0, f"{failed} failed jobs"
        assert staged == dated, f"staged {staged}, the account holds {dated} dated objects"
    finally:
        sandbox.terminate()
        sandbox.wait(10)


if __name__ == "__main__":
    main()
