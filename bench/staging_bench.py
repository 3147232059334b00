"""Staging throughput: pre-fetched Gmail payloads (as the provider's JSON text, the way batch
answers arrive) into raw_records (dedup + cursor, one transaction per page) against a bare COPY of
the same rows into an unindexed table, measured in the same run.

Target (issue 4): staging >= 0.7x the COPY rows/s.

    .venv/bin/python bench/staging_bench.py [--rows 20000] [--page 500]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402

from bench.common import bench_database, report  # noqa: E402
from worker.store.staging import ProviderJson, RawObject, astage_records  # noqa: E402


def fake_message(i: int, rng: random.Random) -> dict:
    body = " ".join(rng.choice(["deal", "meeting", "invoice", "hello", "thanks", "quarter", "plan"]) for _ in range(400))
    data = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
    return {
        "id": f"{i:016x}", "threadId": f"{i // 3:016x}", "labelIds": ["INBOX", "UNREAD"], "snippet": body[:120],
        "historyId": str(1000 + i), "internalDate": str(1_700_000_000_000 + i * 1000), "sizeEstimate": len(body),
        "payload": {"partId": "", "mimeType": "multipart/alternative", "filename": "",
                    "headers": [{"name": "From", "value": f"Sender {i} <s{i}@ext.example>"},
                                {"name": "To", "value": "ana@tenant.example"},
                                {"name": "Subject", "value": f"Message {i}"},
                                {"name": "Message-ID", "value": f"<{i}@ext.example>"}],
                    "body": {"size": 0},
                    "parts": [{"partId": "0", "mimeType": "text/plain", "filename": "",
                               "headers": [{"name": "Content-Type", "value": "text/plain; charset=UTF-8"}],
                               "body": {"size": len(body), "data": data}}]},
    }


async def stage_all(url: str, connection_id, tenant_id, pages: list[list[RawObject]]) -> float:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        start = time.perf_counter()
        for n, page in enumerate(pages):
            async with conn.transaction():
                await astage_records(conn, connection_id, tenant_id, "sync_inbox_live", "gmail.message", page)
                await conn.execute(
                    "update integrations.sync_state set cursor = %s, updated_at = now()"
                    " where connection_id = %s and capability = 'sync_inbox_live' and stream = ''",
                    (Jsonb({"full": {"pageToken": str(n)}}), connection_id))
        return time.perf_counter() - start


def copy_all(url: str, connection_id, tenant_id, pages: list[list[RawObject]]) -> float:
    table = f"bench_copy_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url) as conn:
        conn.execute(f"create table {table} (connection_id uuid, tenant_id uuid, capability text,"
                     " resource_type text, external_id text, payload jsonb, payload_hash text, is_deleted boolean)")
        conn.commit()
        start = time.perf_counter()
        for page in pages:
            with conn.transaction(), conn.cursor().copy(
                    f"copy {table} from stdin") as copy:
                for obj in page:
                    copy.write_row((connection_id, tenant_id, "sync_inbox_live", "gmail.message", obj.external_id,
                                    obj.payload.text, "", obj.is_deleted))
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--page", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; the best of each is kept")
    args = parser.parse_args()
    rng = random.Random(1)
    objects = []
    for i in range(args.rows):
        message = fake_message(i, rng)
        objects.append(RawObject(f"{i:016x}", ProviderJson(message, json.dumps(message))))
    pages = [objects[i:i + args.page] for i in range(0, len(objects), args.page)]
    with bench_database() as url:
        copy_times, stage_times, again_times = [], [], []
        for _ in range(args.rounds):  # alternate, so load on the machine hits both sides alike
            tenant, profile = uuid.uuid4(), uuid.uuid4()
            with psycopg.connect(url) as conn:
                cid = conn.execute("insert into integrations.connections (tenant_id, profile_id, provider, ownership,"
                                   " account_id) values (%s, %s, 'google', 'user', 'bench@x.test') returning id",
                                   (tenant, profile)).fetchone()[0]
                conn.execute("insert into integrations.sync_state (connection_id, capability)"
                             " values (%s, 'sync_inbox_live')", (cid,))
            copy_times.append(copy_all(url, cid, tenant, pages))
            stage_times.append(asyncio.run(stage_all(url, cid, tenant, pages)))
            again_times.append(asyncio.run(stage_all(url, cid, tenant, pages)))  # duplicates: nothing stored
            with psycopg.connect(url) as conn:
                stored = conn.execute("select count(*) from integrations.raw_records where connection_id = %s",
                                      (cid,)).fetchone()[0]
            assert stored == args.rows, f"expected {args.rows} rows, found {stored}"
        copy_seconds, stage_seconds, again_seconds = min(copy_times), min(stage_times), min(again_times)
    copy_rate, stage_rate = args.rows / copy_seconds, args.rows / stage_seconds
    report("staging rows/s vs bare COPY", stage_rate, copy_rate, 0.7,
           f"bare COPY {copy_rate:,.0f} rows/s; staging {stage_rate:,.0f} rows/s; "
           f"re-staging duplicates {args.rows / again_seconds:,.0f} rows/s",
           "  ".join(["python"] + sys.argv))


if __name__ == "__main__":
    main()
