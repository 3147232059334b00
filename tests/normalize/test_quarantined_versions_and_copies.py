"""Quarantine against what is already normalized: a message whose newer version is quarantined
leaves the product tables, and a quarantined copy of an email that another mailbox holds intact
neither counts as a mailbox nor supplies the email's content.

The product models keep quarantined records out twice: their `mailbox_messages` filter (what the
merge writes) and their post-hooks (what an earlier run wrote). The mutation gate
(mutations/mutations.toml) breaks each one; these tests are the ones that notice.
"""

from __future__ import annotations

import uuid

from tests.normalize.gmail_payloads import gmail_full
from tests.normalize.helpers import create_connection, dbt, make_message, query, stage_gmail
from worker.db.connect import connect

MESSAGE_ID = "<plan@acme.example>"


def _broken(payload: dict, *, subject: str, history_id: str) -> dict:
    """`payload` with its body made invalid base64 (a quarantine reason) and another subject."""
    part = payload["payload"]
    part["body"] = {"size": 3, "data": "@@not base64@@"}
    part["headers"] = [h if h["name"] != "Subject" else {"name": "Subject", "value": subject}
                       for h in part["headers"]]
    return {**payload, "historyId": history_id}


def test_a_message_whose_newer_version_is_quarantined_leaves_the_product_tables(make_database, tmp_path):
    url = make_database.create(prefix="nz_qver")  # its own database: the runs see these rows only
    tenant, runs = uuid.uuid4(), tmp_path / "runs"
    raw = make_message(subject="Plan", message_id=MESSAGE_ID)
    with connect(url) as conn:
        mailbox = create_connection(conn, tenant, "me@acme.com")
        stage_gmail(conn, mailbox, tenant, {"m1": raw, "other": make_message(subject="Other")})
        conn.commit()
    dbt(url, runs, command="run")
    assert sorted(r["subject"] for r in query(url, "select subject from product.emails")) == ["Other", "Plan"]

    newer = _broken(gmail_full(raw, message_id="m1"), subject="Plan (corrupt)", history_id="2000")
    with connect(url) as conn:
        stage_gmail(conn, mailbox, tenant, {"m1": newer})
        conn.commit()
    dbt(url, runs, command="run")

    assert [(r["external_id"], r["reason"]) for r in query(
        url, "select external_id, reason from integrations_staging.normalize_quarantine")] == [
        ("m1", "invalid base64 in part ")]
    assert [r["subject"] for r in query(url, "select subject from product.emails")] == ["Other"]
    assert [r["provider_message_id"] for r in query(
        url, "select provider_message_id from product.email_mailboxes")] == ["other"]
    assert query(url, "select count(*) as n from product.email_participants where email_id not in"
                      " (select email_id from product.emails)") == [{"n": 0}]


def test_a_quarantined_copy_never_counts_as_a_mailbox_nor_supplies_the_emails_content(make_database, tmp_path):
    url = make_database.create(prefix="nz_qcopy")
    tenant = uuid.uuid4()
    raw = make_message(subject="Plan", message_id=MESSAGE_ID)
    intact = gmail_full(raw, message_id="good", internal_date_ms=1_705_312_900_000)
    # same sender, Date and Message-ID (so the same email), received earlier, but corrupt
    corrupt = _broken(gmail_full(raw, message_id="bad", internal_date_ms=1_705_312_800_000),
                      subject="Plan (corrupt)", history_id="1000")
    with connect(url) as conn:
        mine = create_connection(conn, tenant, "me@acme.com")
        bobs = create_connection(conn, tenant, "bob@acme.com")
        stage_gmail(conn, mine, tenant, {"good": intact})
        stage_gmail(conn, bobs, tenant, {"bad": corrupt})
        conn.commit()

    dbt(url, tmp_path / "runs", command="run")

    assert [(r["external_id"], r["reason"]) for r in query(
        url, "select external_id, reason from integrations_staging.normalize_quarantine")] == [
        ("bad", "invalid base64 in part ")]
    assert [(r["subject"], r["mailbox_count"], r["body_text"]) for r in query(
        url, "select subject, mailbox_count, body_text from product.emails")] == [("Plan", 1, "Hi\n")]
    assert [r["provider_message_id"] for r in query(
        url, "select provider_message_id from product.email_mailboxes")] == ["good"]
