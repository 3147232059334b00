"""Slack full-sync throughput against the Slack sandbox's per-method rate limits.

Slack meters each Web API method per workspace and app (conversations.history and .replies: Tier
3, 50 a minute). A full sync of a workspace is bound by whichever of those two it calls most — the
replies of its threads, usually. The figure is that binding method's admitted requests per second
divided by its limit per second (target >= 0.9, issue 13), with zero failed jobs and every
generated message staged; messages per second is shown beside it. The sandbox's minute is
shortened (`--window`, the counts unchanged) so a run of about a minute is bound by the limits
rather than by this machine; the worker paces with the same limits scaled to that window. The
sandbox runs in its own process (`python -m sandbox serve`, which starts Slack's beside the others).

    .venv/bin/python bench/slack_bench.py [--channels 6] [--messages 600] [--window 4]
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

SLACK_ENV = ("INTEGRATIONS_SLACK_BASE_URL", "INTEGRATIONS_SLACK_CLIENT_ID", "INTEGRATIONS_SLACK_CLIENT_SECRET")
TIER3 = 50  # requests per window of conversations.history and of conversations.replies
BOUND = ("conversations.history", "conversations.replies")


def start_sandbox() -> tuple[subprocess.Popen, dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--port", "0", "--print-env", "--quota", "0",
         "--users", "bench@bench.example", "--messages", "0", "--events", "0"], stdout=subprocess.PIPE, text=True)
    env: dict[str, str] = {}
    while not all(name in env for name in SLACK_ENV):
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("sandbox exited before printing its settings")
        name, _, value = line.strip().partition("=")
        env[name] = value
    return proc, {k: v for k, v in env.items() if k.startswith("INTEGRATIONS_SLACK_")}


class Admin:
    def __init__(self, env: dict[str, str]) -> None:
        self.http = httpx.Client(base_url=env["INTEGRATIONS_SLACK_BASE_URL"] + "/_sandbox", timeout=120)

    def call(self, method: str, path: str, **kwargs) -> dict:
        response = self.http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()


def connect_workspace(url: str, answer: dict):
    """One workspace connected as `integrations connect slack` leaves it (token issued without consent)."""
    from worker.connections import create_connection, store_credentials
    from worker.crypto import keyring_from_settings
    from worker.providers.slack.auth.oauth import to_stored
    from worker.settings import get_settings

    stored = to_stored(answer)
    with psycopg.connect(url, row_factory=psycopg.rows.dict_row) as conn:
        row = create_connection(conn, tenant_id=uuid.uuid4(), profile_id=None, provider="slack",
                                account_id=answer["team"]["id"], capabilities={"sync_channels_live": None})
        store_credentials(conn, keyring_from_settings(get_settings()), row["id"], stored,
                          granted_scopes=stored["scopes"])
    return row["id"]


async def sync(url: str, connection_id) -> tuple[float, float, float, int, int]:
    from worker.app import open_app_async
    from worker.tasks.dispatch import defer_live

    async with open_app_async(url, max_size=8) as app:
        await defer_live(connection_id, "sync_channels_live")
        started, wall = time.perf_counter(), time.time()
        await app.run_worker_async(concurrency=1, wait=False, queues=["default"])
        elapsed, ended = time.perf_counter() - started, time.time()
    with psycopg.connect(url) as conn:
        staged = conn.execute("select count(*) from integrations.raw_heads where connection_id = %s"
                              " and resource_type = 'slack.message' and not is_deleted", (connection_id,)).fetchone()[0]
        failed = conn.execute("select count(*) from procrastinate_jobs where status = 'failed'").fetchone()[0]
    return wall, ended, elapsed, staged, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--channels", type=int, default=6, help="channels (the bot is in all but one)")
    parser.add_argument("--messages", type=int, default=600, help="messages per channel (replies included)")
    parser.add_argument("--window", type=float, default=4.0, help="the sandbox's minute, in seconds")
    args = parser.parse_args()
    command = " ".join(shlex.quote(a) for a in ["python", *sys.argv])
    team = "TBENCH" + uuid.uuid4().hex[:4].upper()
    sandbox, env = start_sandbox()
    try:
        admin = Admin(env)
        admin.call("PUT", "/slack/settings", json={"window_seconds": args.window})
        summary = admin.call("POST", f"/slack/teams/{team}/generate", json={
            "channels": args.channels, "messages_per_channel": args.messages, "users": 10, "seed": 7})
        # the generator leaves the bot out of one public channel (the not_in_channel path): not synced
        generated = sum(c["messages"] for c in summary["channels"] if c["bot_member"])
        answer = admin.call("POST", f"/slack/teams/{team}/tokens", json={})
        scale = 60.0 / args.window  # the worker's per-minute limits, in the sandbox's shortened minute
        os.environ.update(env)
        os.environ.update({"INTEGRATIONS_SLACK_TIER2_PER_MINUTE": str(20 * scale),
                           "INTEGRATIONS_SLACK_TIER3_PER_MINUTE": str(TIER3 * scale),
                           "INTEGRATIONS_SLACK_TIER4_PER_MINUTE": str(100 * scale),
                           "INTEGRATIONS_SLACK_PAGE_SIZE": "100"})
        from worker.settings import get_settings
        with bench_database() as url:
            os.environ["INTEGRATIONS_DATABASE_URL"] = url
            get_settings.cache_clear()
            cid = connect_workspace(url, answer)
            start, end, elapsed, staged, failed = asyncio.run(sync(url, cid))
        log = [e for e in admin.call("GET", "/requests")["requests"] if start <= e["time"] <= end]
        admitted = {m: sum(1 for e in log if e.get("method_id") == m and e.get("status") == 200) for m in BOUND}
        refused = sum(1 for e in log if e.get("status") == 429)
        binding = max(BOUND, key=lambda m: admitted[m])
        limit = TIER3 / args.window
        rate = admitted[binding] / elapsed
        report("slack full sync, one workspace (binding method req/s vs its limit)", rate, limit, 0.9,
               f"{staged:,} messages in {elapsed:.1f} s = {staged / elapsed:,.1f}/s; {binding} "
               f"{admitted[binding]:,} requests = {rate:.2f}/s against {TIER3} per {args.window:g} s = {limit:.2f}/s "
               f"(history {admitted['conversations.history']}, replies {admitted['conversations.replies']}, "
               f"{refused} refused with 429); failed jobs {failed}", command)
        record("slack full sync, one workspace: messages/s", staged / elapsed, "messages/s", command)
        assert failed == 0, f"{failed} failed jobs"
        assert staged == generated, f"staged {staged} of {generated} messages"
    finally:
        sandbox.terminate()
        sandbox.wait(10)


if __name__ == "__main__":
    main()
