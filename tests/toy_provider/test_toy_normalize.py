"""The toy's dbt part, added as a provider adds its own (a staging model, an intermediate model, one
branch in the email union: tests/toy_provider/dbt/), reaches the product tables through the
provider-neutral intermediate layer: a toy thing synced by the generic live task is an email in a
mailbox, its tombstone flags the mailbox row as a Gmail tombstone does, and a Gmail message and a
toy thing with the same Message-ID in one tenant are one email in two mailboxes (until the toy
connection is deleted)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.normalize.helpers import create_connection, make_message, query, stage_gmail
from tests.toy_provider.dbt_project import project_with_toy
from tests.toy_provider.harness import make_due, run_due
from worker.connections import delete_connection
from worker.db.connect import connect
from worker.normalize import run_dbt

pytestmark = pytest.mark.asyncio

async def build(url: str, tmp_path, project) -> str:
    """dbt build of the whole copied project (unit tests, models, data tests); as in
    tests/normalize/helpers.dbt, a warning (a failing data test) fails the test."""
    lines: list[str] = []
    code = await run_dbt(url, on_line=lines.append, runs_dir=tmp_path / "runs", project_dir=project)
    output = "\n".join(lines)
    assert code == 0, output[-6000:]
    assert " WARN=0 " in output, output[-6000:]
    return output


def tenant_of(url: str, connection_id) -> object:
    return query(url, "select tenant_id from integrations.connections where id = %s", (connection_id,))[0]["tenant_id"]


def emails(url: str, tenant_id) -> list[dict]:
    return query(url, "select email_id, subject, from_address, sent_at, message_id_header, mailbox_count,"
                      " is_deleted from product.emails where tenant_id = %s order by sent_at", (tenant_id,))


def mailboxes(url: str, email_id) -> dict:
    """{connection id: (provider message id, is_deleted)} of one email."""
    rows = query(url, "select connection_id, provider_message_id, is_deleted from product.email_mailboxes"
                      " where email_id = %s", (email_id,))
    return {row["connection_id"]: (row["provider_message_id"], row["is_deleted"]) for row in rows}


async def test_a_toy_thing_is_an_email_in_its_mailbox_and_its_tombstone_flags_the_copy(toy, tmp_path):
    url, connection_id, account = toy
    tenant_id = tenant_of(url, connection_id)
    project = project_with_toy(tmp_path / "project")
    account.put_email("m1", subject="Quarterly numbers", sender="Ann@Example.com",
                      message_id="<q1@example.com>", sent_at="2024-01-15T10:00:00+01:00")
    account.put("plain", title="not an email")  # no sent_at: quarantined, never a product email

    assert await run_due(url) == 1
    await build(url, tmp_path, project)

    [email] = emails(url, tenant_id)
    assert (email["subject"], email["from_address"], email["message_id_header"]) == (
        "Quarterly numbers", "ann@example.com", "<q1@example.com>")
    assert email["sent_at"] == datetime(2024, 1, 15, 9, 0, tzinfo=timezone.utc)
    assert (email["mailbox_count"], email["is_deleted"]) == (1, False)
    assert mailboxes(url, email["email_id"]) == {connection_id: ("m1", False)}
    assert query(url, "select quarantine_reason from integrations_staging.int_toy_things_latest"
                      " where external_id = 'plain'") == [{"quarantine_reason": "missing sent_at"}]

    account.delete("m1")
    make_due(url, connection_id)
    assert await run_due(url) == 1  # the incremental sync stages the tombstone
    await build(url, tmp_path, project)

    # as for a Gmail tombstone: the mailbox row stays, flagged; the email keeps its content
    [gone] = emails(url, tenant_id)
    assert (gone["email_id"], gone["subject"], gone["is_deleted"]) == (email["email_id"], "Quarterly numbers", True)
    assert mailboxes(url, email["email_id"]) == {connection_id: ("m1", True)}


async def test_a_gmail_message_and_a_toy_thing_with_one_message_id_are_one_email_in_two_mailboxes(toy, tmp_path):
    url, toy_connection, account = toy
    tenant_id = tenant_of(url, toy_connection)
    project = project_with_toy(tmp_path / "project")
    with connect(url) as conn:
        gmail_connection = create_connection(conn, tenant_id, "me@acme.com")
        stage_gmail(conn, gmail_connection, tenant_id, {"g1": make_message(
            subject="Shared", sender="Ann <ann@example.com>", message_id="<shared@example.com>",
            date="Mon, 15 Jan 2024 10:00:00 +0000")})
        conn.commit()
    account.put_email("t1", subject="Shared", sender="ann@example.com", message_id="<shared@example.com>",
                      sent_at="2024-01-15T10:00:05Z")

    assert await run_due(url) == 1
    await build(url, tmp_path, project)

    [email] = emails(url, tenant_id)
    assert (email["message_id_header"], email["mailbox_count"], email["is_deleted"]) == (
        "<shared@example.com>", 2, False)
    assert mailboxes(url, email["email_id"]) == {gmail_connection: ("g1", False), toy_connection: ("t1", False)}

    account.delete("t1")  # gone from the toy mailbox only: the email stays, held by Gmail
    make_due(url, toy_connection)
    await run_due(url)
    await build(url, tmp_path, project)

    [still] = emails(url, tenant_id)
    assert (still["email_id"], still["is_deleted"]) == (email["email_id"], False)
    assert mailboxes(url, email["email_id"]) == {gmail_connection: ("g1", False), toy_connection: ("t1", True)}

    with connect(url) as conn:  # its raw rows go with it: the toy's removal marker drops its copy
        delete_connection(conn, toy_connection)
        conn.commit()
    await build(url, tmp_path, project)

    [left] = emails(url, tenant_id)
    assert (left["email_id"], left["mailbox_count"]) == (email["email_id"], 1)
    assert mailboxes(url, email["email_id"]) == {gmail_connection: ("g1", False)}
