"""A quarantined record is left out of every product table, not only listed in the quarantine:
the mutation gate (mutations/mutations.toml) removes the product models' quarantine filter and
this test must notice."""

from __future__ import annotations

import uuid

from tests.normalize.helpers import create_connection, dbt, make_message, query, stage_gmail
from worker.db.connect import connect

BROKEN = {"id": "broken", "internalDate": "1705312800000", "payload": {
    "partId": "", "mimeType": "text/plain", "filename": "",
    "headers": [{"name": "Subject", "value": "Broken"}, {"name": "Message-ID", "value": "<broken@x.example>"}],
    "body": {"size": 3, "data": "@@not base64@@"}}}


def test_a_quarantined_message_never_reaches_the_product_tables(make_database, tmp_path):
    url = make_database.create(prefix="nz_quar")  # its own database: the run sees these rows only
    tenant = uuid.uuid4()
    with connect(url) as conn:
        mailbox = create_connection(conn, tenant, "me@acme.com")
        stage_gmail(conn, mailbox, tenant, {"broken": BROKEN, "fine": make_message(subject="Fine")})
        conn.commit()

    dbt(url, tmp_path / "runs", command="run")

    assert [(r["external_id"], r["reason"]) for r in query(
        url, "select external_id, reason from integrations_staging.normalize_quarantine")] == [
        ("broken", "invalid base64 in part ")]
    assert [r["subject"] for r in query(url, "select subject from product.emails")] == ["Fine"]
    assert [r["provider_message_id"] for r in query(
        url, "select provider_message_id from product.email_mailboxes")] == ["fine"]
