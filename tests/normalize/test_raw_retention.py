"""Retention of superseded raw versions (INTEGRATIONS_RAW_RETENTION_DAYS): pruning deletes only
versions nothing reads (not an object's newest, nor its newest with content), keeps raw_heads as
they were, and changes nothing in product.* -- after an incremental normalize run and after a
full refresh."""

from __future__ import annotations

import uuid

import pytest

from tests.normalize.gmail_payloads import gmail_full
from tests.normalize.helpers import create_connection, dbt, dump_all, make_message, query, stage_calendar
from worker.db.connect import connect
from worker.errors import BadInput
from worker.settings import load_settings
from worker.store.retention import prune_superseded_versions
from worker.store.staging import RawObject, stage_records


def _event(event_id: str, updated: str, summary: str) -> dict:
    return {"id": event_id, "iCalUID": f"{event_id}@google.com", "status": "confirmed", "summary": summary,
            "start": {"dateTime": "2024-03-04T09:00:00Z", "timeZone": "UTC"},
            "end": {"dateTime": "2024-03-04T10:00:00Z", "timeZone": "UTC"},
            "organizer": {"email": "me@acme.com"}, "updated": updated,
            "attendees": [{"email": "bob@acme.com", "responseStatus": "needsAction"}]}


def _labels(message_id: str, history_id: int, labels: list[str]) -> RawObject:
    return RawObject(message_id, {"id": message_id, "threadId": message_id, "labelIds": labels,
                                  "historyId": str(history_id), "internalDate": "1705312800000",
                                  "sizeEstimate": 300})


def _full(raw: bytes, message_id: str, history_id: int, labels: tuple[str, ...]) -> RawObject:
    return RawObject(message_id, {**gmail_full(raw, message_id=message_id, labels=labels),
                                  "historyId": str(history_id)})


@pytest.fixture(scope="module")
def world(make_database, tmp_path_factory):
    url = make_database.create(prefix="nz_retention")
    tenant = uuid.uuid4()
    with connect(url) as conn:
        me = create_connection(conn, tenant, "me@acme.com")
        conn.commit()
    return {"url": url, "tenant": tenant, "me": me, "runs": tmp_path_factory.mktemp("dbt-runs")}


def _stage(url, connection, tenant, resource_type: str, objects: list[RawObject]) -> None:
    with connect(url) as conn:
        assert stage_records(conn, connection, tenant, "sync_inbox_live", resource_type, objects) == len(objects)
        conn.commit()


def test_pruning_superseded_versions_leaves_product_unchanged(world):
    url, me, tenant = world["url"], world["me"], world["tenant"]
    relabelled, deleted, edited = make_message(subject="Relabelled"), make_message(subject="Gone"), make_message(
        subject="Edited")
    _stage(url, me, tenant, "gmail.message", [_full(relabelled, "m1", 100, ("INBOX", "UNREAD")),
                                              _full(deleted, "m2", 100, ("INBOX",)),
                                              _full(edited, "m3", 100, ("INBOX",))])
    with connect(url) as conn:
        stage_calendar(conn, me, tenant, {"e1": _event("e1", "2024-03-01T00:00:00Z", "Review")})
        conn.commit()
    dbt(url, world["runs"])
    for n, labels in enumerate((["INBOX"], ["INBOX", "UNREAD"], ["INBOX", "STARRED"])):
        _stage(url, me, tenant, "gmail.labels", [_labels("m1", 101 + n, labels)])
    _stage(url, me, tenant, "gmail.message", [RawObject("m2", {"id": "m2"}, is_deleted=True),
                                              _full(edited, "m3", 110, ("INBOX", "IMPORTANT"))])
    with connect(url) as conn:
        stage_calendar(conn, me, tenant, {"e1": _event("e1", "2024-03-02T00:00:00Z", "Review, moved")})
        conn.commit()
    dbt(url, world["runs"], command="run")
    before = dump_all(url)
    heads = query(url, "select * from integrations.raw_heads order by resource_type, external_id")
    assert [r["labels"] for r in query(url, "select labels from product.email_mailboxes"
                                            " where provider_message_id = 'm1'")] == [["INBOX", "STARRED"]]

    with connect(url) as conn:
        assert prune_superseded_versions(conn, 1) == 0  # nothing is a day old yet
        # m1: two of its three label records; m3 and e1: their first versions. m2's live version
        # stays (the content its tombstone keeps), as does every newest version.
        assert prune_superseded_versions(conn, 0) == 4

    remaining = query(url, "select resource_type, external_id, is_deleted, count(*) as n from integrations.raw_records"
                           " group by 1, 2, 3 order by 1, 2, 3")
    assert [(r["resource_type"], r["external_id"], r["is_deleted"], r["n"]) for r in remaining] == [
        ("calendar.event", "e1", False, 1), ("gmail.labels", "m1", False, 1), ("gmail.message", "m1", False, 1),
        ("gmail.message", "m2", False, 1), ("gmail.message", "m2", True, 1), ("gmail.message", "m3", False, 1)]
    assert query(url, "select * from integrations.raw_heads order by resource_type, external_id") == heads

    dbt(url, world["runs"], command="run")
    assert dump_all(url) == before
    dbt(url, world["runs"], full_refresh=True)
    assert dump_all(url) == before


def test_the_retention_setting_is_unset_by_default_and_a_negative_value_names_the_variable(monkeypatch):
    monkeypatch.delenv("INTEGRATIONS_RAW_RETENTION_DAYS", raising=False)
    assert load_settings().raw_retention_days is None
    monkeypatch.setenv("INTEGRATIONS_RAW_RETENTION_DAYS", "30")
    assert load_settings().raw_retention_days == 30
    monkeypatch.setenv("INTEGRATIONS_RAW_RETENTION_DAYS", "-1")
    with pytest.raises(BadInput, match="INTEGRATIONS_RAW_RETENTION_DAYS"):
        load_settings()
