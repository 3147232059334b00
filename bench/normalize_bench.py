"""Normalization benchmark: re-process throughput and whether incremental cost follows new rows.

Prints figures, not pass/fail:
  1. `reprocess` (dbt build --full-refresh) over N raw Gmail messages: rows per second.
  2. An incremental build adding 1,000 messages over N already normalized, vs. the same over
     1,000 already normalized: the ratio (target <= 1.5, work grows with what is new).

Messages are the sandbox generator's realistic `format=full` resources (every MIME shape,
charsets, RFC 2047 headers), cloned with fresh ids and Message-IDs.

    .venv/bin/python bench/normalize_bench.py [--messages 100000] [--new 1000]

Uses INTEGRATIONS_BENCH_SERVER_URL (a PostgreSQL server URL whose user may create databases) or
an embedded server in this checkout's .integrations/bench-pg; the benchmark databases are dropped afterwards.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import record, report  # noqa: E402
from worker.db.connect import connect  # noqa: E402
from worker.db.migrate import migrate  # noqa: E402
from worker.normalize import run_dbt_sync  # noqa: E402
from worker.store.staging import RawObject, stage_records  # noqa: E402

MODEL_LINE = re.compile(r"OK created sql incremental model (\S+) .*\[(\S+ \d+) in ([\d.]+)s\]")


def server_url() -> str:
    configured = os.environ.get("INTEGRATIONS_BENCH_SERVER_URL")
    if configured:
        return configured
    from worker.db.embedded import ensure_embedded

    return ensure_embedded(Path(__file__).resolve().parents[1] / ".integrations" / "bench-pg",
                           database="postgres")


def create_database(server: str) -> str:
    name = f"nzbench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    url = urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    with connect(url) as conn:
        migrate(conn)
    return url


def drop_database(server: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')


def templates(count: int = 400) -> list[dict]:
    from sandbox.google import Sandbox

    sandbox = Sandbox(seed=11)
    users = ["ana@acme.example", "ben@acme.example"]
    sandbox.generate(users, messages=count // len(users), events=0)
    return [sandbox.get_message(u, i, "full") for u in users for i in sandbox.message_ids(u)]


def clone(template: dict, serial: int) -> dict:
    message = copy.deepcopy(template)
    message["id"] = message["threadId"] = f"b{serial:08x}"
    headers = message["payload"].get("headers", [])
    for header in headers:
        if header["name"].lower() == "message-id":
            header["value"] = f"<bench.{serial}@bench.example>"
    return message


class Stager:
    def __init__(self, url: str, pool: list[dict]) -> None:
        self.url, self.pool, self.serial = url, pool, 0
        self.tenant = uuid.uuid4()
        with connect(url) as conn:
            self.connection_id = conn.execute(
                "insert into integrations.connections (tenant_id, profile_id, provider, ownership, account_id)"
                " values (%s, gen_random_uuid(), 'google', 'user', 'ana@acme.example') returning id",
                (self.tenant,)).fetchone()["id"]
            conn.commit()

    def stage(self, count: int, page: int = 1000) -> None:
        with connect(self.url) as conn:
            while count > 0:
                size = min(page, count)
                objects = []
                for _ in range(size):
                    self.serial += 1
                    message = clone(self.pool[self.serial % len(self.pool)], self.serial)
                    objects.append(RawObject(message["id"], message))
                stage_records(conn, self.connection_id, self.tenant, "sync_inbox_live", "gmail.message", objects)
                conn.commit()
                count -= size


def timed_build(url: str, runs: Path, *, full_refresh: bool = False, command: str = "build") -> tuple[float, dict]:
    lines: list[str] = []
    started = time.perf_counter()
    code = run_dbt_sync(url, full_refresh=full_refresh, on_line=lines.append, runs_dir=runs, command=command)
    elapsed = time.perf_counter() - started
    if code != 0:
        print("\n".join(lines[-60:]))
        raise SystemExit(f"dbt exited with {code}")
    models = {m.group(1): (m.group(2), float(m.group(3))) for m in map(MODEL_LINE.search, lines) if m}
    return elapsed, models


def show_models(models: dict) -> str:
    return ", ".join(f"{name.split('.')[-1]} {rows} {seconds:.2f}s" for name, (rows, seconds) in models.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=1_000)
    args = parser.parse_args()
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))

    server = server_url()
    pool = templates()
    runs = Path(tempfile.mkdtemp(prefix="nzbench-runs-"))
    big, small = create_database(server), create_database(server)
    try:
        stager = Stager(big, pool)
        started = time.perf_counter()
        stager.stage(args.messages)
        print(f"staged {args.messages:,} raw messages in {time.perf_counter() - started:.1f}s "
              f"({len(pool)} generator templates)")

        reprocess, models = timed_build(big, runs, full_refresh=True)
        print(f"reprocess (dbt build --full-refresh) of {args.messages:,} messages: {reprocess:.1f}s "
              f"= {args.messages / reprocess:,.0f} rows/s")
        print(f"  models: {show_models(models)}")

        small_stager = Stager(small, pool)
        small_stager.stage(args.new)
        timed_build(small, runs, full_refresh=True)

        results = {}
        for label, url, st in ((f"over {args.new:,}", small, small_stager), (f"over {args.messages:,}", big, stager)):
            st.stage(args.new)
            elapsed, models = timed_build(url, runs)
            results[label] = elapsed
            print(f"incremental build of {args.new:,} new {label}: {elapsed:.2f}s  ({show_models(models)})")
        over_small, over_big = results[f"over {args.new:,}"], results[f"over {args.messages:,}"]
        print(f"ratio (over {args.messages:,} / over {args.new:,}): {over_big / over_small:.2f} (target <= 1.5)")
        command = " ".join(["python", *sys.argv])
        record(f"reprocess of {args.messages:,} raw messages", args.messages / reprocess, "rows/s", command)
        report(f"incremental {args.new:,} new over {args.messages:,} vs over {args.new:,}", over_big, over_small, 1.5,
               f"{over_big:.2f}s vs {over_small:.2f}s", command, higher_is_better=False)
        print(json.dumps({"messages": args.messages, "reprocess_rows_per_s": round(args.messages / reprocess, 1),
                          "incremental_small_s": round(over_small, 2), "incremental_big_s": round(over_big, 2),
                          "ratio": round(over_big / over_small, 2)}))
    finally:
        drop_database(server, big)
        drop_database(server, small)


if __name__ == "__main__":
    main()
