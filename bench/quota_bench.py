"""Gmail full sync against each of Gmail's two quota tables: how much of the per-user limit it uses.

Projects created from May 2026 get 6,000 units per user per minute and pay 20 units per
messages.get; older ones get 15,000 and pay 5 (worker/providers/google/quota_tables.py). The
worker paces to the table in force (INTEGRATIONS_GMAIL_QUOTA_TABLE, nothing else set), the
sandbox meters the same table, and the figure is the units the sandbox charged per minute of the
sync over the table's limit. Target: >= 0.95 under both tables (a sync that paces to the wrong
table either wastes most of the quota or runs into 429s).

    .venv/bin/python bench/quota_bench.py [--minutes 1.5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench.common import bench_database, report  # noqa: E402
from bench.gmail_bench import connect_mailboxes, start_sandbox, sync  # noqa: E402
from worker.providers.google.client.quota_tables import gmail_units_per_minute  # noqa: E402

TABLES = {"legacy": (15000, 5), "2026": (6000, 20)}  # units per user per minute, units per messages.get


def measure(table: str, minutes: float, command: str) -> bool:
    limit, per_message = TABLES[table]
    messages = int(limit / per_message * minutes)
    user = f"quota-{table}@bench.example"
    sandbox, env = start_sandbox([user], messages, quota_table=table, quota=None)
    server = os.environ.get("INTEGRATIONS_DATABASE_URL")
    try:
        assert env["INTEGRATIONS_GMAIL_QUOTA_TABLE"] == table
        os.environ.update(env)
        os.environ.pop("INTEGRATIONS_GMAIL_QUOTA_UNITS_PER_MINUTE", None)
        from worker.settings import get_settings

        with bench_database() as url:
            os.environ["INTEGRATIONS_DATABASE_URL"] = url
            get_settings.cache_clear()
            assert gmail_units_per_minute(get_settings()) == limit
            ids = connect_mailboxes(url, env["INTEGRATIONS_GOOGLE_BASE_URL"], [user])
            base = env["INTEGRATIONS_GOOGLE_BASE_URL"]
            httpx.delete(f"{base}/_sandbox/requests")
            elapsed, staged, failed = asyncio.run(sync(url, ids))
            log = httpx.get(f"{base}/_sandbox/requests", params={"user": user}).json()
            entries = log["requests"] if isinstance(log, dict) else log
            charged = sum(e.get("units", 0) for e in entries if e.get("status", 200) < 400)
            refused = sum(1 for e in entries if e.get("status") in (403, 429))
            per_minute = charged / (elapsed / 60.0)
            ok = report(f"gmail full sync, quota table {table}", per_minute, limit, 0.95,
                        f"{staged:,} messages in {elapsed:.1f} s charged {charged:,} units = {per_minute:,.0f} "
                        f"units/min of {limit:,}; refused calls {refused}; failed jobs {failed}", command)
            assert failed == 0 and staged == messages, (staged, messages, failed)
            return ok
    finally:
        if server is None:
            os.environ.pop("INTEGRATIONS_DATABASE_URL", None)
        else:
            os.environ["INTEGRATIONS_DATABASE_URL"] = server
        sandbox.terminate()
        sandbox.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=1.5, help="length of each full sync at the limit")
    args = parser.parse_args()
    command = " ".join(shlex.quote(a) for a in ["python", *sys.argv])
    results = [measure(table, args.minutes, command) for table in ("2026", "legacy")]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
