"""Gmail full-sync throughput against the sandbox at the default quota (15,000 units/user/minute).

The quota-limited maximum is units per minute / 5 units per messages.get = 3,000 messages per
minute per mailbox. Targets (issue 4): one mailbox >= 90% of it; ten mailboxes at once in one
worker process >= 80% of ten times it; zero failed jobs. The sandbox runs in its own process so
it does not share this one's interpreter.

    .venv/bin/python bench/gmail_bench.py [--messages 10000] [--mailboxes 10]
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

from bench.common import bench_database, report  # noqa: E402

QUOTA = 15000
UNITS_PER_MESSAGE = 5
SCOPES = ["https://www.googleapis.com/auth/gmail.readonly"]


def start_sandbox(users: list[str], messages: int, quota_table: str = "legacy",
                  quota: int | None = QUOTA) -> tuple[subprocess.Popen, dict[str, str]]:
    """The sandbox in its own process; its settings (the quota table last) as a dict."""
    quota_args = ["--quota", str(quota)] if quota is not None else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--port", "0", "--print-env", "--quota-table", quota_table,
         *quota_args, "--users", ",".join(users), "--messages", str(messages), "--events", "0"],
        stdout=subprocess.PIPE, text=True)
    env = {}
    while "INTEGRATIONS_GMAIL_QUOTA_TABLE" not in env:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("sandbox exited before printing its settings")
        name, _, value = line.strip().partition("=")
        env[name] = value
    return proc, env


def connect_mailboxes(url: str, base: str, users: list[str]) -> list:
    from worker.connections import create_connection, store_credentials
    from worker.crypto import keyring_from_settings
    from worker.settings import get_settings

    ids = []
    with psycopg.connect(url, row_factory=psycopg.rows.dict_row) as conn:
        for user in users:
            tokens = httpx.post(f"{base}/_sandbox/oauth/tokens", json={"email": user, "scopes": SCOPES}).json()
            row = create_connection(conn, tenant_id=uuid.uuid4(), profile_id=uuid.uuid4(), provider="google",
                                    account_id=user, capabilities={"sync_inbox_live": {"labels": ["INBOX", "SENT", "SPAM", "TRASH", "DRAFT", "CATEGORY_UPDATES"], "include_spam_trash": True}})  # noqa: E501
            store_credentials(conn, keyring_from_settings(get_settings()), row["id"],
                              {"token": tokens["access_token"], "refresh_token": tokens["refresh_token"],
                               "scopes": SCOPES}, granted_scopes=SCOPES)
            ids.append(row["id"])
    return ids


async def sync(url: str, connection_ids: list) -> tuple[float, int, int]:
    from worker.app import open_app_async
    from worker.tasks.dispatch import defer_live

    async with open_app_async(url, max_size=len(connection_ids) + 6) as app:
        for cid in connection_ids:
            await defer_live(cid, "sync_inbox_live")
        started = time.perf_counter()
        await app.run_worker_async(concurrency=len(connection_ids), wait=False, queues=["default"])
        elapsed = time.perf_counter() - started
    with psycopg.connect(url) as conn:
        staged = conn.execute("select count(*) from integrations.raw_heads where connection_id = any(%s)",
                              (connection_ids,)).fetchone()[0]
        failed = conn.execute("select count(*) from procrastinate_jobs where status = 'failed'").fetchone()[0]
    return elapsed, staged, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10000, help="messages per mailbox")
    parser.add_argument("--mailboxes", type=int, default=10, help="mailboxes synced at once")
    args = parser.parse_args()
    command = " ".join(shlex.quote(a) for a in ["python", *sys.argv])
    single_user = "solo@bench.example"
    many = [f"user{n}@bench.example" for n in range(args.mailboxes)]
    print(f"generating {args.messages:,} messages for each of {len(many) + 1} mailboxes ...", flush=True)
    sandbox, env = start_sandbox([single_user, *many], args.messages)
    try:
        os.environ.update(env)
        os.environ["INTEGRATIONS_GMAIL_QUOTA_UNITS_PER_MINUTE"] = str(QUOTA)
        from worker.settings import get_settings
        get_settings.cache_clear()
        max_rate = QUOTA / UNITS_PER_MESSAGE / 60.0  # messages per second per mailbox
        with bench_database() as url:
            os.environ["INTEGRATIONS_DATABASE_URL"] = url
            get_settings.cache_clear()
            solo = connect_mailboxes(url, env["INTEGRATIONS_GOOGLE_BASE_URL"], [single_user])
            elapsed, staged, failed = asyncio.run(sync(url, solo))
            rate = staged / elapsed
            report("gmail full sync, one mailbox", rate, max_rate, 0.9,
                   f"{staged:,} messages in {elapsed:.1f} s = {rate * 60:,.0f}/min; quota-limited max "
                   f"{max_rate * 60:,.0f}/min; failed jobs {failed}", command)
            assert failed == 0 and staged >= args.messages * 0.99
            ten = connect_mailboxes(url, env["INTEGRATIONS_GOOGLE_BASE_URL"], many)
            elapsed, staged, failed = asyncio.run(sync(url, ten))
            rate = staged / elapsed
            report(f"gmail full sync, {len(many)} mailboxes in one worker", rate, max_rate * len(many), 0.8,
                   f"{staged:,} messages in {elapsed:.1f} s = {rate * 60:,.0f}/min; quota-limited max "
                   f"{max_rate * 60 * len(many):,.0f}/min; failed jobs {failed}", command)
            assert failed == 0
    finally:
        sandbox.terminate()
        sandbox.wait(10)


if __name__ == "__main__":
    main()
