"""End-to-end latency with the default intervals: a message added to the sandbox → its row in
product.emails, through a real `integrations worker` process (live sync every minute, normalize
on staged pages and every minute). Prints median and p95; target p95 <= 2 x the sync interval.

    .venv/bin/python bench/latency_bench.py [--messages 8] [--spread 240]
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import statistics
import subprocess
import sys
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402

from bench.common import bench_database, record, report  # noqa: E402

ACCOUNT = "latency@bench.example"


def raw_message(n: int) -> tuple[bytes, str]:
    message_id = f"<latency-{n}-{uuid.uuid4().hex}@bench.example>"
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = "ext@x.example", ACCOUNT, f"latency {n}", message_id
    msg.set_content("ping")
    return msg.as_bytes(), message_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=8)
    parser.add_argument("--spread", type=float, default=240.0, help="seconds over which messages arrive")
    args = parser.parse_args()
    command = " ".join(shlex.quote(a) for a in ["python", *sys.argv])
    from sandbox.google import Sandbox
    from worker.connections import create_connection, store_credentials
    from worker.crypto import keyring_from_settings
    from worker.settings import get_settings

    sandbox = Sandbox(seed=3).start()
    os.environ.update(sandbox.env())
    interval = get_settings().sync_interval_seconds
    with bench_database() as url:
        os.environ["INTEGRATIONS_DATABASE_URL"] = url
        get_settings.cache_clear()
        scopes = ["https://www.googleapis.com/auth/gmail.readonly"]
        tokens = sandbox.issue_tokens(ACCOUNT, scopes)
        with psycopg.connect(url, row_factory=psycopg.rows.dict_row) as conn:
            row = create_connection(conn, tenant_id=uuid.uuid4(), profile_id=uuid.uuid4(), provider="google",
                                    account_id=ACCOUNT, capabilities={"sync_inbox_live": None})
            store_credentials(conn, keyring_from_settings(get_settings()), row["id"],
                              {"token": tokens["access_token"], "refresh_token": tokens["refresh_token"],
                               "scopes": scopes}, granted_scopes=scopes)
        worker = subprocess.Popen([sys.executable, "-m", "worker.cli.__main__", "worker"], env=os.environ.copy())
        rng = random.Random(5)
        added: dict[str, float] = {}
        seen: dict[str, float] = {}
        try:
            start = time.monotonic()
            schedule = sorted(rng.uniform(0, args.spread) for _ in range(args.messages))
            n = 0
            deadline = start + args.spread + 6 * interval
            with psycopg.connect(url, autocommit=True) as conn:
                while time.monotonic() < deadline and len(seen) < args.messages:
                    while n < len(schedule) and time.monotonic() - start >= schedule[n]:
                        raw, message_id = raw_message(n)
                        sandbox.import_message(ACCOUNT, raw, ["INBOX"])
                        added[message_id] = time.monotonic()
                        n += 1
                    if added and conn.execute("select to_regclass('product.emails') is not null").fetchone()[0]:
                        for (message_id,) in conn.execute("select message_id_header from product.emails"
                                                          " where message_id_header = any(%s)",
                                                          ([m for m in added if m not in seen],)).fetchall():
                            seen[message_id] = time.monotonic()
                    time.sleep(0.5)
        finally:
            worker.terminate()
            worker.wait(60)
            sandbox.stop()
    latencies = sorted(seen[m] - added[m] for m in seen)
    if len(latencies) < args.messages:
        print(f"only {len(latencies)} of {args.messages} messages reached product.emails in time")
    median = statistics.median(latencies)
    p95 = latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))]
    record("end-to-end latency median", median, "s", command)
    report("end-to-end latency p95 vs sync interval", p95, interval, 2.0,
           f"median {median:.1f}s, p95 {p95:.1f}s over {len(latencies)} messages; sync interval {interval}s",
           command, higher_is_better=False)


if __name__ == "__main__":
    main()
