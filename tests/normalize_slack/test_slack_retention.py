"""Retention of superseded raw versions never changes product.chat_messages: a thread parent deleted
at Slack is listed as a `subtype: tombstone` stand-in, staged as a live version; the version before
it is the content the product keeps, so pruning keeps it too (worker/store/retention.sql)."""

from __future__ import annotations

import uuid

from tests.normalize.helpers import dbt, dump, query
from tests.normalize_slack.slack_payloads import (
    create_slack_connection,
    deleted,
    message,
    stage_messages,
    stage_users,
    user,
)
from worker.db.connect import connect
from worker.store.retention import prune_superseded_versions

PARENT, EDITED, GONE = "1700000000.000100", "1700000100.000200", "1700000200.000300"


def test_pruning_keeps_the_content_of_a_thread_parent_slack_replaced_by_its_stand_in(make_database, tmp_path):
    url = make_database.create(prefix="nz_slack_ret")
    tenant = uuid.uuid4()
    with connect(url) as conn:
        team = create_slack_connection(conn, tenant, "T1")
        stage_users(conn, team, tenant, [user("U1", name="ann", real_name="Ann Lee", email="ann@acme.com")])
        stage_messages(conn, team, tenant, "C1", [
            message(PARENT, text="the plan", thread_ts=PARENT, reply_count=1),
            message(EDITED, text="first draft"), message(GONE, text="soon gone")])
        conn.commit()
    dbt(url, tmp_path, command="run")
    with connect(url) as conn:
        stage_messages(conn, team, tenant, "C1", [
            message(PARENT, user="USLACKBOT", text="This message was deleted.", thread_ts=PARENT, reply_count=1,
                    subtype="tombstone"),
            message(EDITED, text="final", edited_ts="1700000300.000000"), deleted(f"C1:{GONE}")])
        conn.commit()
    dbt(url, tmp_path, command="run")
    before = dump(url, "product.chat_messages")
    [parent] = query(url, "select text, author_id, is_deleted from product.chat_messages where ts = %s", (PARENT,))
    assert (parent["text"], parent["author_id"], parent["is_deleted"]) == ("the plan", "U1", True)

    with connect(url) as conn:
        assert prune_superseded_versions(conn, 0) == 1  # only the first draft of the edited message
    kept = query(url, "select external_id, count(*) as n from integrations.raw_records"
                      " where resource_type = 'slack.message' group by 1 order by 1")
    assert [(r["external_id"], r["n"]) for r in kept] == [(f"C1:{PARENT}", 2), (f"C1:{EDITED}", 1), (f"C1:{GONE}", 2)]

    dbt(url, tmp_path, command="run")
    assert dump(url, "product.chat_messages") == before
    dbt(url, tmp_path, command="run", full_refresh=True)
    assert dump(url, "product.chat_messages") == before
