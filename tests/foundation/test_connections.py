"""Connections: ownership rules, validation before writes, consent per capability, no secrets shown."""

import uuid

import pytest

from worker.connections import (
    capability_states,
    create_connection,
    disable_capability,
    enable_capability,
    get_connection,
    list_connections,
    store_credentials,
)
from worker.crypto import Key, Keyring
from worker.errors import BadInput
from worker.providers.google.capabilities import CALENDAR_EVENTS, CALENDAR_READONLY, GMAIL_READONLY, GMAIL_SEND
from worker.registry import get_provider

KEYRING = Keyring([Key("k1", b"\x01" * 32)])


def _google(db, tenant_id, account="ana@example.com", **caps):
    return create_connection(db, tenant_id=tenant_id, profile_id=uuid.uuid4(), provider="google",
                             account_id=account, capabilities=caps or None)


def _count(db, tenant_id):
    return db.execute("select count(*) as n from integrations.connections where tenant_id = %s",
                      (tenant_id,)).fetchone()["n"]


def test_user_owned_provider_requires_a_profile(db, tenant_id):
    with pytest.raises(BadInput, match="owned by a user"):
        create_connection(db, tenant_id=tenant_id, profile_id=None, provider="google", account_id="a@x.test")
    assert _count(db, tenant_id) == 0


def test_tenant_owned_provider_rejects_a_profile(db, tenant_id):
    with pytest.raises(BadInput, match="owned by the tenant"):
        create_connection(db, tenant_id=tenant_id, profile_id=uuid.uuid4(), provider="slack", account_id="T01")
    row = create_connection(db, tenant_id=tenant_id, profile_id=None, provider="slack", account_id="T01")
    assert row["profile_id"] is None and row["ownership"] == "tenant"


def test_schema_enforces_ownership_even_without_python(db, tenant_id):
    import psycopg

    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute("insert into integrations.connections (tenant_id, provider, ownership, account_id)"
                   " values (%s, 'google', 'user', 'x@y.test')", (tenant_id,))
    db.rollback()


def test_unknown_provider_and_capability_are_bad_input(db, tenant_id):
    with pytest.raises(BadInput, match="unknown provider 'gmial'"):
        create_connection(db, tenant_id=tenant_id, profile_id=uuid.uuid4(), provider="gmial", account_id="a@x.test")
    with pytest.raises(BadInput, match="unknown capability 'sync_everything'"):
        _google(db, tenant_id, sync_everything=None)
    assert _count(db, tenant_id) == 0


def test_invalid_settings_name_the_field(db, tenant_id):
    with pytest.raises(BadInput, match="newer_than_days"):
        _google(db, tenant_id, sync_inbox_live={"newer_than_days": 0})
    with pytest.raises(BadInput, match="labelz"):
        _google(db, tenant_id, sync_inbox_live={"labelz": ["INBOX"]})
    assert _count(db, tenant_id) == 0


def test_one_account_is_connected_once_per_owner(db, tenant_id):
    profile = uuid.uuid4()
    create_connection(db, tenant_id=tenant_id, profile_id=profile, provider="google", account_id="a@x.test")
    with pytest.raises(BadInput, match="already connected"):
        create_connection(db, tenant_id=tenant_id, profile_id=profile, provider="google", account_id="a@x.test")
    create_connection(db, tenant_id=tenant_id, profile_id=None, provider="slack", account_id="T1")
    with pytest.raises(BadInput, match="already connected"):
        create_connection(db, tenant_id=tenant_id, profile_id=None, provider="slack", account_id="T1")
    # another profile of the same tenant may connect the same account
    create_connection(db, tenant_id=tenant_id, profile_id=uuid.uuid4(), provider="google", account_id="a@x.test")
    assert _count(db, tenant_id) == 3


def test_required_scopes_are_the_union_of_enabled_capabilities():
    google = get_provider("google")
    assert google.required_scopes({"sync_inbox_live": None, "send_email": None}) == {GMAIL_READONLY, GMAIL_SEND}
    assert google.required_scopes({"sync_calendar_live": None}) == {CALENDAR_READONLY}
    assert CALENDAR_EVENTS in google.required_scopes({"sync_calendar_live": {"two_way": True}})


def test_enabling_without_granted_scope_awaits_consent_for_that_capability_only(db, tenant_id):
    row = _google(db, tenant_id, sync_inbox_live=None)
    store_credentials(db, KEYRING, row["id"], {"refresh_token": "r"}, granted_scopes=[GMAIL_READONLY])
    states = {s["capability"]: s["status"] for s in capability_states(db, row["id"])}
    assert states == {"sync_inbox_live": "ready"}

    enable_capability(db, row["id"], "sync_calendar_live", {"calendars": "all"})
    states = {s["capability"]: s["status"] for s in capability_states(db, row["id"])}
    assert states == {"sync_inbox_live": "ready", "sync_calendar_live": "awaiting_consent"}
    assert get_connection(db, row["id"])["settings"]["sync_calendar_live"]["calendars"] == "all"

    store_credentials(db, KEYRING, row["id"], {"refresh_token": "r"},
                      granted_scopes=[GMAIL_READONLY, CALENDAR_READONLY])
    states = {s["capability"]: s["status"] for s in capability_states(db, row["id"])}
    assert states["sync_calendar_live"] == "ready"

    disable_capability(db, row["id"], "sync_inbox_live")
    assert get_connection(db, row["id"])["capabilities"] == ["sync_calendar_live"]
    states = {s["capability"]: s["status"] for s in capability_states(db, row["id"])}
    assert states["sync_inbox_live"] == "disabled"


def test_list_is_per_tenant(db, tenant_id):
    _google(db, tenant_id, account="one@x.test")
    other = uuid.uuid4()
    _google(db, other, account="two@x.test")
    assert [r["account_id"] for r in list_connections(db, tenant_id)] == ["one@x.test"]


def test_deleting_a_connection_deletes_its_staged_records(db, tenant_id):
    from worker.connections import delete_connection
    from worker.store.staging import RawObject, stage_records

    row = _google(db, tenant_id)
    other = _google(db, tenant_id, account="other@example.com")
    for connection in (row, other):
        stage_records(db, connection["id"], tenant_id, "sync_inbox_live", "gmail.message",
                      [RawObject("m1", {"id": "m1"}), RawObject("m2", {"id": "m2"})])
    delete_connection(db, row["id"])
    counts = {r["connection_id"]: r["n"] for r in db.execute(
        "select connection_id, count(*) as n from integrations.raw_records where connection_id = any(%s)"
        " group by 1", ([row["id"], other["id"]],)).fetchall()}
    assert counts == {other["id"]: 2}
    assert db.execute("select count(*) as n from integrations.raw_heads where connection_id = %s",
                      (row["id"],)).fetchone()["n"] == 0


def test_staging_dedups_unchanged_payloads_but_keeps_a_return_to_an_older_state(db, tenant_id):
    from worker.store.staging import ProviderJson, RawObject, stage_records

    row = _google(db, tenant_id)
    a = {"id": "m1", "labelIds": ["INBOX"]}
    b = {"id": "m1", "labelIds": ["INBOX", "STARRED"]}

    def stage(*objs):
        return stage_records(db, row["id"], tenant_id, "sync_inbox_live", "gmail.message", list(objs))

    assert stage(RawObject("m1", a)) == 1
    assert stage(RawObject("m1", dict(a))) == 0           # the same payload again: one row
    assert stage(RawObject("m1", b)) == 1                 # a new version
    assert stage(RawObject("m1", a)) == 1                 # back to the first state: a new version too
    assert stage(RawObject("m1", {"id": "m1"}, is_deleted=True)) == 1
    text = '{"id": "m2",  "labelIds": ["INBOX"]}'         # the provider's own bytes are kept as sent
    assert stage(RawObject("m2", ProviderJson({"id": "m2", "labelIds": ["INBOX"]}, text))) == 1
    versions = db.execute("select payload, is_deleted from integrations.raw_records where connection_id = %s"
                          " and external_id = 'm1' order by id", (row["id"],)).fetchall()
    assert [v["payload"].get("labelIds") for v in versions] == [["INBOX"], ["INBOX", "STARRED"], ["INBOX"], None]
    assert [v["is_deleted"] for v in versions] == [False, False, False, True]
