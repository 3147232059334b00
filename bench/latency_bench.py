"""New mail → its row in product.emails, end to end, with push beside polling, in one run.

Everything is the real thing on loopback: the Google sandbox, `integrations serve` (the Pub/Sub
push endpoint), `integrations worker` with its default settings (selective normalize in the warm
in-process dbt, polling every INTEGRATIONS_SYNC_INTERVAL_SECONDS). Two mailboxes of one tenant:
`push@` is watched (users.watch), so the sandbox publishes each change to serve as Pub/Sub would;
`poll@` has its watch stopped at the sandbox, so only polling finds its mail. Messages arrive at
random moments spread over `--spread` seconds, alternately in each mailbox; the bench notes when
each one's row appears. One warm-up message per mailbox (the worker's first parse of the dbt
project, its first whole build) is left out of the figures.

Target: push p95 <= 10 s (issue 16); the polling figures of the same run are printed beside it.

    .venv/bin/python bench/latency_bench.py [--messages 60] [--spread 240]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import psycopg  # noqa: E402

from bench.common import bench_database, record, report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PUSH, POLL = "push@bench.example", "poll@bench.example"
TARGET_P95 = 10.0


def raw_message(n: int, account: str) -> tuple[bytes, str]:
    message_id = f"<latency-{n}-{uuid.uuid4().hex}@bench.example>"
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = "ext@x.example", account, f"latency {n}", message_id
    msg.set_content("ping")
    return msg.as_bytes(), message_id


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen([sys.executable, "-m", "worker.cli.__main__", *args], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def wait_for(what: str, check, timeout: float, processes=()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc, log in processes:
            if proc.poll() is not None:
                raise SystemExit(f"{' '.join(proc.args[3:4])} exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        if check():
            return
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=60, help="per mailbox (push and polling)")
    parser.add_argument("--spread", type=float, default=240.0, help="seconds over which the messages arrive")
    args = parser.parse_args()
    command = " ".join(shlex.quote(a) for a in ["python", *sys.argv])
    from sandbox.google import Sandbox
    from worker.connections import create_connection, store_credentials
    from worker.crypto import keyring_from_settings
    from worker.providers.google.push.gmail_watch import reconcile_gmail_watches
    from worker.settings import get_settings

    sandbox = Sandbox(seed=3).start()
    sandbox.set_quota(units_per_window=None, calendar_requests_per_window=None)
    work = Path(tempfile.mkdtemp(prefix="latency-bench-"))
    serve_url = f"http://127.0.0.1:{free_port()}"
    os.environ.update(sandbox.env())
    os.environ.update({"INTEGRATIONS_DATA_DIR": str(work / "data"), "INTEGRATIONS_PUBLIC_URL": serve_url,
                       "INTEGRATIONS_ENCRYPTION_KEYS": "k1:" + "L" * 43 + "="})
    with bench_database() as url:
        os.environ["INTEGRATIONS_DATABASE_URL"] = url
        get_settings.cache_clear()
        settings = get_settings()
        scopes = ["https://www.googleapis.com/auth/gmail.readonly"]
        tenant = uuid.uuid4()
        with psycopg.connect(url, row_factory=psycopg.rows.dict_row) as conn:
            for account in (PUSH, POLL):
                tokens = sandbox.issue_tokens(account, scopes)
                row = create_connection(conn, tenant_id=tenant, profile_id=uuid.uuid4(), provider="google",
                                        account_id=account, capabilities={"sync_inbox_live": None})
                store_credentials(conn, keyring_from_settings(settings), row["id"],
                                  {"token": tokens["access_token"], "refresh_token": tokens["refresh_token"],
                                   "scopes": scopes}, granted_scopes=scopes)

        async def watch() -> dict:
            from worker.app import open_app_async

            async with open_app_async(url, max_size=2) as app:
                return await reconcile_gmail_watches(app.connector.pool)

        print(f"gmail watches: {asyncio.run(watch())}")
        sandbox.pubsub.stop(POLL)  # the polling mailbox publishes nothing: only polling finds its mail
        sandbox.set_public_url(serve_url)
        env = os.environ.copy()
        serve_log, worker_log = work / "serve.log", work / "worker.log"
        serve = start(["serve", "--host", "127.0.0.1", "--port", serve_url.rsplit(":", 1)[1]], env, serve_log)
        worker = start(["worker"], env, worker_log)
        processes = [(serve, serve_log), (worker, worker_log)]
        added: dict[str, tuple[str, float]] = {}
        seen: dict[str, float] = {}
        try:
            def healthy() -> bool:
                try:
                    return httpx.get(serve_url + "/healthz", timeout=1).status_code == 200
                except httpx.HTTPError:
                    return False

            wait_for("serve", healthy, 60, processes)
            with psycopg.connect(url, autocommit=True) as conn:
                def arrived() -> None:
                    waiting = [m for m in added if m not in seen]
                    if waiting and conn.execute("select to_regclass('product.emails') is not null").fetchone()[0]:
                        for (message_id,) in conn.execute("select message_id_header from product.emails"
                                                          " where message_id_header = any(%s)", (waiting,)):
                            seen[message_id] = time.monotonic()

                def idle() -> bool:  # no whole build queued or running (the worker's first one)
                    return not conn.execute("select exists (select 1 from procrastinate_jobs where task_name ="
                                            " 'normalize' and status in ('todo', 'doing'))").fetchone()[0]

                # warm-up: a message in each mailbox, through the first sync, parse and whole build
                warmup = []
                for account in (PUSH, POLL):
                    raw, message_id = raw_message(-1, account)
                    sandbox.import_message(account, raw, ["INBOX"])
                    added[message_id] = (account, time.monotonic())
                    warmup.append(message_id)

                def warmed() -> bool:
                    arrived()
                    return all(m in seen for m in warmup) and idle()

                wait_for("the warm-up messages", warmed, 300, processes)
                for message_id in warmup:
                    del added[message_id], seen[message_id]
                print(f"warmed up; {args.messages} messages per mailbox over {args.spread:.0f}s")

                rng = random.Random(5)
                schedule = sorted(rng.uniform(0, args.spread) for _ in range(2 * args.messages))
                interval = settings.sync_interval_seconds
                begin, n = time.monotonic(), 0
                deadline = begin + args.spread + 3 * interval + 30
                while time.monotonic() < deadline and (n < len(schedule) or len(seen) < len(added)):
                    while n < len(schedule) and time.monotonic() - begin >= schedule[n]:
                        account = PUSH if n % 2 == 0 else POLL
                        raw, message_id = raw_message(n, account)
                        sandbox.import_message(account, raw, ["INBOX"])  # publishes to serve when watched
                        added[message_id] = (account, time.monotonic())
                        n += 1
                    arrived()
                    time.sleep(0.1)
        finally:
            for proc in (worker, serve):
                proc.terminate()
            for proc in (worker, serve):
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    proc.kill()
            sandbox.stop()
    latency = {PUSH: [], POLL: []}
    for message_id, (account, at) in added.items():
        if message_id in seen:
            latency[account].append(seen[message_id] - at)
    missing = {a: args.messages - len(v) for a, v in latency.items() if len(v) < args.messages}
    if missing:
        print(f"did not reach product.emails in time: {missing} (logs in {work})")
    if not latency[PUSH] or not latency[POLL]:
        raise SystemExit("no latency measured")
    push_p50, push_p95 = statistics.median(latency[PUSH]), percentile(latency[PUSH], 0.95)
    poll_p50, poll_p95 = statistics.median(latency[POLL]), percentile(latency[POLL], 0.95)
    print(f"push:    median {push_p50:.1f}s, p95 {push_p95:.1f}s, max {max(latency[PUSH]):.1f}s"
          f" over {len(latency[PUSH])} messages")
    print(f"polling: median {poll_p50:.1f}s, p95 {poll_p95:.1f}s, max {max(latency[POLL]):.1f}s"
          f" over {len(latency[POLL])} messages (sync interval {interval}s)")
    record("polling latency p95", poll_p95, "s", command)
    record("push latency median", push_p50, "s", command)
    ok = report("push latency p95 vs 10 s", push_p95, TARGET_P95, 1.0,
                f"push median {push_p50:.1f}s p95 {push_p95:.1f}s; polling median {poll_p50:.1f}s p95 {poll_p95:.1f}s"
                f" (same run, {len(latency[PUSH])}+{len(latency[POLL])} messages over {args.spread:.0f}s)",
                command, higher_is_better=False)
    if missing or not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
