"""Shared helpers of the normalization tests: a mailbox, staged messages, dbt runs, table dumps."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from pathlib import Path

from tests.normalize.gmail_payloads import gmail_full
from worker.db.connect import connect
from worker.normalize import run_dbt_sync
from worker.store.staging import RawObject, stage_records

PRODUCT_TABLES = {
    "product.emails": "email_id",
    "product.email_participants": "participant_id",
    "product.email_mailboxes": "mailbox_message_id",
    "product.meetings": "meeting_id",
    "product.meeting_attendees": "attendee_id",
    "product.chat_messages": "chat_message_id",
    "product.text_messages": "text_message_id",
    "product.calls": "call_id",
    "product.customers": "customer_id",
    "product.invoices": "invoice_id",
    "product.payments": "payment_id",
}


def create_connection(conn, tenant_id: uuid.UUID, account: str) -> uuid.UUID:
    return conn.execute(
        "insert into integrations.connections (tenant_id, profile_id, provider, ownership, account_id)"
        " values (%s, gen_random_uuid(), 'google', 'user', %s) returning id",
        (tenant_id, account),
    ).fetchone()["id"]


def make_message(*, subject="Hello", sender="Ann <ann@example.com>", to="me@acme.com", cc=None,
                 message_id: str | None = "auto", body="Hi\n", date="Mon, 15 Jan 2024 10:00:00 +0000",
                 html: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = date
    if message_id == "auto":
        message_id = f"<{uuid.uuid4().hex}@example.com>"
    if message_id:
        msg["Message-ID"] = message_id
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    return bytes(msg)


def stage_gmail(conn, connection_id, tenant_id, messages: dict[str, bytes | dict | None], labels=("INBOX",)):
    """Stage {gmail id: raw RFC 2822 bytes | payload dict | None (tombstone)} as the sync does."""
    objects = []
    for gmail_id, source in messages.items():
        if source is None:
            objects.append(RawObject(gmail_id, {"id": gmail_id}, is_deleted=True))
        elif isinstance(source, dict):
            objects.append(RawObject(gmail_id, source))
        else:
            objects.append(RawObject(gmail_id, gmail_full(source, message_id=gmail_id, labels=labels)))
    return stage_records(conn, connection_id, tenant_id, "sync_inbox_live", "gmail.message", objects)


def stage_calendar(conn, connection_id, tenant_id, events: dict[str, dict]):
    objects = [RawObject(key, payload) for key, payload in events.items()]
    return stage_records(conn, connection_id, tenant_id, "sync_calendar_live", "calendar.event", objects)


def dbt(url: str, runs_dir: Path, *, full_refresh=False, select=None, project_dir=None, expect_ok=True,
        command="build", variables=None, extra_args=()) -> str:
    """Run dbt (`build` by default: unit tests, models, data tests) and return its output.
    `variables`: the project vars (`--vars`), by default those of the settings."""
    lines: list[str] = []
    code = run_dbt_sync(url, full_refresh=full_refresh, select=select, on_line=lines.append,
                        runs_dir=runs_dir, project_dir=project_dir, command=command, variables=variables,
                        extra_args=extra_args)
    output = "\n".join(lines)
    if expect_ok:
        assert code == 0, output[-6000:]
        # data tests only warn (they never block another tenant's models): a warning fails here
        assert " WARN=0 " in output, output[-6000:]
    return output


def dump(url: str, table: str) -> list[tuple]:
    """Every row of a product table, sorted, as comparable tuples."""
    with connect(url) as conn:
        exists = conn.execute("select to_regclass(%s) is not null as present", (table,)).fetchone()
        if not exists["present"]:
            return []
        rows = conn.execute(f"select * from {table}").fetchall()
    return sorted((tuple((k, repr(v)) for k, v in sorted(row.items())) for row in rows))


def dump_all(url: str) -> dict[str, list[tuple]]:
    return {table: dump(url, table) for table in PRODUCT_TABLES}


def query(url: str, sql: str, params=()) -> list[dict]:
    with connect(url) as conn:
        return conn.execute(sql, params).fetchall()
