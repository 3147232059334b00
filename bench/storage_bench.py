"""Bytes stored in raw_records per Gmail message after 10 label changes, before and after label
records (issue 10, growth).

Two mailboxes with the same generated mail are synced, then every message's UNREAD label is
toggled 10 times with an incremental sync after each toggle. "Before" runs the live sync with
`label_records: false` (the old path: every label change stores a full copy of the message);
"after" with the default (a label-only change stores the small format=minimal answer as a
`gmail.labels` record). The figure is the JSON bytes of every raw row of the mailbox divided by its
messages; the target is after/before <= 0.5.

    .venv/bin/python bench/storage_bench.py [--messages 200] [--changes 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402

from bench.common import bench_database, record, report  # noqa: E402

SCOPES = ["https://www.googleapis.com/auth/gmail.readonly"]
LABELS = ["INBOX", "SENT", "SPAM", "TRASH", "DRAFT", "CATEGORY_UPDATES"]


def connect_mailbox(url: str, sandbox, user: str, label_records: bool):
    from worker.connections import create_connection, store_credentials
    from worker.crypto import keyring_from_settings
    from worker.settings import get_settings

    tokens = sandbox.issue_tokens(user, SCOPES)
    settings = {"labels": LABELS, "include_spam_trash": True, "label_records": label_records}
    with psycopg.connect(url, row_factory=psycopg.rows.dict_row) as conn:
        row = create_connection(conn, tenant_id=uuid.uuid4(), profile_id=uuid.uuid4(), provider="google",
                                account_id=user, capabilities={"sync_inbox_live": settings})
        store_credentials(conn, keyring_from_settings(get_settings()), row["id"],
                          {"token": tokens["access_token"], "refresh_token": tokens["refresh_token"],
                           "scopes": SCOPES}, granted_scopes=SCOPES)
    return row["id"]


async def sync(url: str, connection_ids: list) -> None:
    from worker.app import open_app_async
    from worker.tasks.dispatch import defer_live

    async with open_app_async(url, max_size=len(connection_ids) + 6) as app:
        for cid in connection_ids:
            await defer_live(cid, "sync_inbox_live")
        await app.run_worker_async(concurrency=len(connection_ids), wait=False, queues=["default"])


def stored(url: str, connection_id) -> dict:
    with psycopg.connect(url, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute(
            "select count(*) filter (where resource_type = 'gmail.message') as message_rows,"
            " count(*) filter (where resource_type = 'gmail.labels') as label_rows,"
            " (select count(*) from integrations.raw_heads h where h.connection_id = %(c)s"
            "  and h.resource_type = 'gmail.message') as messages,"
            " coalesce(sum(octet_length(payload::text)), 0) as json_bytes,"
            " coalesce(sum(pg_column_size(payload)), 0) as stored_bytes"
            " from integrations.raw_records where connection_id = %(c)s", {"c": connection_id}).fetchone()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=200, help="messages per mailbox")
    parser.add_argument("--changes", type=int, default=10, help="label changes per message")
    args = parser.parse_args()
    command = " ".join(shlex.quote(a) for a in ["python", *sys.argv])

    from sandbox.google import Sandbox
    from worker.settings import get_settings

    users = {"before": "before@storage.example", "after": "after@storage.example"}
    sandbox = Sandbox(seed=0).start()
    try:
        sandbox.set_quota(units_per_window=None, calendar_requests_per_window=None)
        for user in users.values():  # the same mail in both mailboxes
            sandbox.generate([user], messages=args.messages, events=0, seed=7)
        os.environ.update(sandbox.env())
        os.environ["INTEGRATIONS_GMAIL_QUOTA_UNITS_PER_MINUTE"] = "0"
        get_settings.cache_clear()
        with bench_database() as url:
            os.environ["INTEGRATIONS_DATABASE_URL"] = url
            get_settings.cache_clear()
            ids = {name: connect_mailbox(url, sandbox, user, label_records=(name == "after"))
                   for name, user in users.items()}
            asyncio.run(sync(url, list(ids.values())))
            for _ in range(args.changes):
                for user in users.values():
                    for message_id in sandbox.message_ids(user):  # read <-> unread
                        unread = "UNREAD" in sandbox.get_message(user, message_id, "minimal")["labelIds"]
                        sandbox.relabel(user, message_id, add=() if unread else ["UNREAD"],
                                        remove=["UNREAD"] if unread else ())
                asyncio.run(sync(url, list(ids.values())))
            figures = {name: stored(url, cid) for name, cid in ids.items()}
    finally:
        sandbox.stop()

    per_message = {name: f["json_bytes"] / max(f["messages"], 1) for name, f in figures.items()}
    for name, f in figures.items():
        record(f"raw bytes per message after {args.changes} label changes, {name}", per_message[name],
               "bytes (JSON)", command)
        print(f"  {name}: {f['messages']} messages, {f['message_rows']} gmail.message rows, "
              f"{f['label_rows']} gmail.labels rows, {f['json_bytes']:,} JSON bytes, "
              f"{f['stored_bytes']:,} bytes as stored (TOAST-compressed)")
    ok = report(f"raw storage per message after {args.changes} label changes (after / before)",
                per_message["after"], per_message["before"], 0.5,
                f"{per_message['before']:,.0f} bytes before (a full copy per change), "
                f"{per_message['after']:,.0f} bytes after (gmail.labels records)", command, higher_is_better=False)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
