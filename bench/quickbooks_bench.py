"""QuickBooks live-sync throughput against the sandbox's per-company request limit.

Intuit meters each company (realm) and app: 500 requests a minute (the sandbox: a 60-second window,
429 ThrottlingFault with `Retry-After` beyond it) and 10 in flight. A backfill of many customers,
invoices and payments is bound by that limit once pages are small enough, so the figure is the
requests per second the worker got admitted (answered, not refused) while `sync_accounting_live`
backfilled one company, divided by the limit's rate (target >= 0.9), with every entity staged and
no failed job. Entities per second are shown beside it. The sandbox runs in its own process
(`python -m sandbox serve --quickbooks-port 0`); the worker paces at the company's limit.
Pages of 10 (QBO allows 1000) make the backfill request-bound: with full pages a company of this
size is read in a few requests and the figure would measure this machine, not the pacing. They also
make the run last several of Intuit's one-minute windows (about 1,800 requests, 3.5 minutes): a run
shorter than a window is flattered by the pacer's initial burst (pages of 40 read this company in
45 s, "1.10"), and a company large enough for pages of 40 to last as long makes the sandbox's query
evaluation, not the pacing, the bound (48,000 entities: 0.62).

    .venv/bin/python bench/quickbooks_bench.py [--customers 3000] [--invoices 9000] [--payments 4000] \
        [--per-minute 500] [--page-size 10]
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

REALM = "4620816365123456"


def start_sandbox() -> tuple[subprocess.Popen, dict[str, str]]:
    """`sandbox serve` in its own process; the QuickBooks sandbox's settings."""
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--port", "0", "--print-env", "--quota", "0",
                             "--quickbooks-port", "0"], stdout=subprocess.PIPE, text=True)
    env: dict[str, str] = {}
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("sandbox exited before printing its settings")
        name, _, value = line.strip().partition("=")
        if name.startswith("INTEGRATIONS_QUICKBOOKS_"):
            env[name] = value
        if len(env) == 3:
            return proc, env


class Admin:
    """The QuickBooks sandbox's admin API (`/_sandbox/...`)."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url + "/_sandbox", timeout=300)

    def call(self, method: str, path: str, **kwargs):
        response = self.http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def requests(self) -> list[dict]:
        return self.call("GET", "/requests")["requests"]


def connect_company(url: str, tokens: dict) -> uuid.UUID:
    """The generated company connected as `integrations connect quickbooks` leaves it."""
    from worker.connections import create_connection, store_credentials
    from worker.crypto import keyring_from_settings
    from worker.providers.quickbooks.auth.oauth import to_stored
    from worker.settings import get_settings

    with psycopg.connect(url, row_factory=psycopg.rows.dict_row) as conn:
        row = create_connection(conn, tenant_id=uuid.uuid4(), profile_id=None, provider="quickbooks",
                                account_id=REALM, capabilities={"sync_accounting_live": None})
        store_credentials(conn, keyring_from_settings(get_settings()), row["id"],
                          {**to_stored(tokens), "realm_id": REALM}, granted_scopes=["com.intuit.quickbooks.accounting"])
    return row["id"]


async def sync(url: str, connection_id) -> tuple[float, float, float, dict[str, int], int]:
    """The live sync in one real worker; (start, end, seconds, staged per resource, failed jobs)."""
    from worker.app import open_app_async
    from worker.tasks.dispatch import defer_live

    async with open_app_async(url, max_size=8) as app:
        await defer_live(connection_id, "sync_accounting_live")
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
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--invoices", type=int, default=9000)
    parser.add_argument("--payments", type=int, default=4000)
    parser.add_argument("--per-minute", type=int, default=500, help="the sandbox's requests per minute per company")
    parser.add_argument("--page-size", type=int, default=10, help="MAXRESULTS of the worker's query pages")
    args = parser.parse_args()
    command = " ".join(shlex.quote(a) for a in ["python", *sys.argv])
    sandbox, env = start_sandbox()
    try:
        admin = Admin(env["INTEGRATIONS_QUICKBOOKS_BASE_URL"])
        print(f"generating {args.customers:,} customers, {args.invoices:,} invoices and {args.payments:,} payments"
              " for one QuickBooks company ...", flush=True)
        admin.call("POST", "/quickbooks/companies", json={"realm_id": REALM})
        generated = admin.call("POST", f"/quickbooks/companies/{REALM}/generate", json={
            "customers": args.customers, "invoices": args.invoices, "payments": args.payments})
        admin.call("PUT", "/quota", json={"requests_per_window": args.per_minute, "window_seconds": 60.0})
        tokens = admin.call("POST", f"/quickbooks/companies/{REALM}/tokens")
        os.environ.update({**env, "INTEGRATIONS_QUICKBOOKS_REQUESTS_PER_MINUTE": str(args.per_minute),
                           "INTEGRATIONS_QUICKBOOKS_PAGE_SIZE": str(args.page_size)})
        from worker.settings import get_settings

        with bench_database() as url:
            os.environ["INTEGRATIONS_DATABASE_URL"] = url
            get_settings.cache_clear()
            cid = connect_company(url, tokens)
            start, end, elapsed, staged, failed = asyncio.run(sync(url, cid))
        mine = [e for e in admin.requests() if start <= e["time"] <= end and e.get("user") == REALM
                and e.get("method_id") in ("query", "cdc")]
        admitted = sum(1 for e in mine if e.get("status") != 429)
        refused = sum(1 for e in mine if e.get("status") == 429)
        rate, limit = admitted / elapsed, args.per_minute / 60.0
        entities = sum(staged.values())
        report("quickbooks backfill, one company (req/s vs the realm limit)", rate, limit, 0.9,
               f"{entities:,} entities in {elapsed:.1f} s = {entities / elapsed:,.1f}/s; {admitted:,} requests admitted"
               f" ({refused} refused with 429) = {rate:.2f}/s; limit {args.per_minute}/min = {limit:.2f}/s;"
               f" page size {args.page_size}; failed jobs {failed}", command)
        record("quickbooks backfill, one company: entities/s", entities / elapsed, "entities/s", command)
        expected = {"quickbooks.customer": generated["customers"], "quickbooks.invoice": generated["invoices"],
                    "quickbooks.payment": generated["payments"]}
        assert failed == 0, f"{failed} failed jobs"
        assert staged == expected, f"staged {staged}, the company holds {expected}"
    finally:
        sandbox.terminate()
        sandbox.wait(10)


if __name__ == "__main__":
    main()
