"""Twilio messages and calls (Messages.json / Calls.json resources staged as `twilio.message`,
`twilio.call`) become product.text_messages and product.calls: direction inbound / outbound from every
Twilio direction, numbers in E.164 (what is no phone number stays only in from/to_address), dates from
RFC 2822, segments and durations as integers, prices as numerics; a status change re-read by the
overlap window updates the same row; a message deleted at Twilio is flagged; a poison payload is
quarantined without failing the run or another tenant; incremental runs equal a full refresh.

The world is normalized once; a test that stages more only touches records no other test reads, so
the tests pass in any order."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from tests.normalize.helpers import dbt, dump, query
from tests.normalize_twilio.twilio_payloads import (
    call,
    call_sid,
    create_twilio_connection,
    deleted,
    message_sid,
    product_id,
    sms,
    stage_calls,
    stage_sms,
)
from worker.db.connect import connect

INBOUND, API, REPLY, CALL, WHATSAPP, SHORT_CODE, FAILED, QUEUED, GONE, POISON = (message_sid(n) for n in range(10))
IN_CALL, TRUNK_IN, API_CALL, DIAL, TRUNK_OUT, LIVE_CALL, BAD_CALL = (call_sid(n) for n in range(7))


@pytest.fixture(scope="module")
def world(make_database, tmp_path_factory):
    url = make_database.create(prefix="nz_twilio")
    tenant, other_tenant = uuid.uuid4(), uuid.uuid4()
    with connect(url) as conn:
        acme = create_twilio_connection(conn, tenant)
        other = create_twilio_connection(conn, other_tenant, "AC" + "f" * 32)
        stage_sms(conn, acme, tenant, [
            sms(INBOUND, direction="inbound", from_="+442079460958", to="+14155550100", body="Call me back",
                status="received", price="-0.00750"),
            sms(API, direction="outbound-api", body="A" * 200, num_segments="2", price="-0.01580"),
            sms(REPLY, direction="outbound-reply", body="Thanks!"),
            sms(CALL, direction="outbound-call", body="Sent during a call"),
            sms(WHATSAPP, direction="inbound", from_="whatsapp:+5511961234567", to="whatsapp:+14155550100",
                status="received", num_media="1", price=None),
            sms(SHORT_CODE, direction="inbound", from_="89898", to="+14155550100", status="received"),
            sms(FAILED, status="undelivered", error_code=30003, error_message="Unreachable destination handset",
                date_sent="Thu, 30 Jul 2015 13:12:33 -0700"),
            sms(QUEUED, status="queued", price=None, date_sent=None),
            sms(GONE, body="deleted later"),
            {**sms(POISON), "date_sent": "the day after tomorrow"},
        ])
        stage_sms(conn, other, other_tenant, [sms(INBOUND, direction="inbound", body="Other tenant's copy")])
        stage_calls(conn, acme, tenant, [
            call(IN_CALL),
            call(TRUNK_IN, direction="trunking-originating"),
            call(API_CALL, direction="outbound-api", from_="+14155550100", to="+442079460958"),
            call(DIAL, direction="outbound-dial", to="client:anna", parent_call_sid=API_CALL),
            call(TRUNK_OUT, direction="trunking-terminating", from_="sip:desk@pbx.example"),
            call(LIVE_CALL, status="in-progress", end_time=None, duration=None, price=None),
            {**call(BAD_CALL), "duration": "about two minutes"},
        ])
        conn.commit()
    world = {"url": url, "tenant": tenant, "other_tenant": other_tenant, "acme": acme, "other": other,
             "runs": tmp_path_factory.mktemp("dbt-runs")}
    dbt(url, world["runs"])
    return world


def text(world, sid: str, tenant=None) -> dict:
    [found] = query(world["url"], "select * from product.text_messages where tenant_id = %s and external_id = %s",
                    (tenant or world["tenant"], sid))
    return found


def phone_call(world, sid: str) -> dict:
    [found] = query(world["url"], "select * from product.calls where tenant_id = %s and external_id = %s",
                    (world["tenant"], sid))
    return found


def test_every_twilio_message_direction_is_inbound_or_outbound(world):
    directions = {sid: text(world, sid)["direction"] for sid in (INBOUND, API, REPLY, CALL, WHATSAPP)}
    assert directions == {INBOUND: "inbound", API: "outbound", REPLY: "outbound", CALL: "outbound",
                          WHATSAPP: "inbound"}


def test_every_twilio_call_direction_is_inbound_or_outbound(world):
    directions = {sid: phone_call(world, sid)["direction"] for sid in (IN_CALL, TRUNK_IN, API_CALL, DIAL, TRUNK_OUT)}
    assert directions == {IN_CALL: "inbound", TRUNK_IN: "inbound", API_CALL: "outbound", DIAL: "outbound",
                          TRUNK_OUT: "outbound"}


def test_numbers_are_e164_and_what_is_no_phone_number_stays_an_address(world):
    inbound, whatsapp, short_code = text(world, INBOUND), text(world, WHATSAPP), text(world, SHORT_CODE)
    assert (inbound["from_number"], inbound["to_number"]) == ("+442079460958", "+14155550100")
    assert (whatsapp["from_number"], whatsapp["to_number"], whatsapp["from_address"]) == (
        "+5511961234567", "+14155550100", "whatsapp:+5511961234567")
    assert (short_code["from_number"], short_code["from_address"]) == (None, "89898")
    dial, trunk = phone_call(world, DIAL), phone_call(world, TRUNK_OUT)
    assert (dial["from_number"], dial["to_number"], dial["to_address"]) == ("+14155550100", None, "client:anna")
    assert (trunk["from_number"], trunk["from_address"]) == (None, "sip:desk@pbx.example")


def test_dates_segments_prices_and_errors_are_typed(world):
    api, failed, queued = text(world, API), text(world, FAILED), text(world, QUEUED)
    assert (api["num_segments"], api["num_media"], api["price"], api["price_unit"]) == (2, 0, Decimal("-0.01580"), "USD")
    assert api["sent_at"] == datetime(2015, 7, 30, 20, 12, 33, tzinfo=timezone.utc)
    assert api["created_at"] == datetime(2015, 7, 30, 20, 12, 31, tzinfo=timezone.utc)
    assert (failed["status"], failed["error_code"], failed["error_message"]) == (
        "undelivered", 30003, "Unreachable destination handset")
    assert failed["sent_at"] == datetime(2015, 7, 30, 20, 12, 33, tzinfo=timezone.utc)  # -0700 read as such
    assert (queued["status"], queued["sent_at"], queued["price"]) == ("queued", None, None)
    assert text(world, WHATSAPP)["num_media"] == 1


def test_call_times_and_durations_are_typed(world):
    done, live = phone_call(world, API_CALL), phone_call(world, LIVE_CALL)
    assert (done["started_at"], done["ended_at"], done["duration_seconds"], done["price"]) == (
        datetime(2010, 8, 10, 8, 2, 17, tzinfo=timezone.utc), datetime(2010, 8, 10, 8, 4, 22, tzinfo=timezone.utc),
        125, Decimal("-0.03000"))
    assert (live["status"], live["ended_at"], live["duration_seconds"]) == ("in-progress", None, None)


def test_rows_are_keyed_per_tenant_on_the_sid(world):
    mine, theirs = text(world, INBOUND), text(world, INBOUND, tenant=world["other_tenant"])
    assert str(mine["text_message_id"]) == product_id(world["tenant"], INBOUND)
    assert str(theirs["text_message_id"]) == product_id(world["other_tenant"], INBOUND)
    assert (mine["body"], theirs["body"]) == ("Call me back", "Other tenant's copy")
    assert str(phone_call(world, IN_CALL)["call_id"]) == product_id(world["tenant"], IN_CALL)


def test_a_poison_payload_is_quarantined_without_failing_the_run_or_another_tenant(world):
    reasons = query(world["url"], "select resource_type, external_id, reason from integrations_staging.normalize_quarantine"
                                  " where resource_type like 'twilio.%%' order by 1")
    assert [(r["resource_type"], r["external_id"], r["reason"]) for r in reasons] == [
        ("twilio.call", BAD_CALL, "impossible duration: about two minutes"),
        ("twilio.message", POISON, "impossible date_sent: the day after tomorrow")]
    assert query(world["url"], "select 1 from product.text_messages where external_id = %s", (POISON,)) == []
    assert query(world["url"], "select 1 from product.calls where external_id = %s", (BAD_CALL,)) == []
    assert text(world, INBOUND, tenant=world["other_tenant"])["direction"] == "inbound"


def test_a_status_change_re_read_by_the_overlap_window_updates_the_same_row(world):
    sid = message_sid(100)
    with connect(world["url"]) as conn:
        stage_sms(conn, world["acme"], world["tenant"], [sms(sid, status="sent", price=None)])
        conn.commit()
    dbt(world["url"], world["runs"])
    before = text(world, sid)
    assert (before["status"], before["price"]) == ("sent", None)

    with connect(world["url"]) as conn:
        stage_sms(conn, world["acme"], world["tenant"], [
            sms(sid, status="delivered", price="-0.00790", date_updated="Thu, 30 Jul 2015 20:13:02 +0000")])
        conn.commit()
    dbt(world["url"], world["runs"])

    after = text(world, sid)
    assert after["text_message_id"] == before["text_message_id"]
    assert (after["status"], after["price"], after["updated_at"]) == (
        "delivered", Decimal("-0.00790"), datetime(2015, 7, 30, 20, 13, 2, tzinfo=timezone.utc))
    assert query(world["url"], "select count(*) as n from product.text_messages where external_id = %s",
                 (sid,)) == [{"n": 1}]


def test_a_message_deleted_at_twilio_is_flagged_and_keeps_its_content(world):
    with connect(world["url"]) as conn:
        stage_sms(conn, world["acme"], world["tenant"], [deleted(GONE)])
        conn.commit()
    dbt(world["url"], world["runs"])

    gone = text(world, GONE)
    assert (gone["is_deleted"], gone["body"], gone["direction"]) == (True, "deleted later", "outbound")


def test_incremental_runs_equal_a_full_refresh(world):
    incremental = {t: dump(world["url"], t) for t in ("product.text_messages", "product.calls")}
    assert all(incremental.values())
    dbt(world["url"], world["runs"], full_refresh=True)
    assert {t: dump(world["url"], t) for t in incremental} == incremental
