"""Twilio REST API 2010-04-01 JSON as the SMS and call syncs stage it (`twilio.message`, `twilio.call` raw
records), and the helpers that stage it through the store's own staging function.

The shapes follow the Message and Call resources as Messages.json / Calls.json list them
(FACTS-providers.md, "Twilio"): dates in RFC 2822, num_segments / num_media / price / duration as
strings, error_code an integer or null; values are the tests' own."""

from __future__ import annotations

import hashlib
import uuid

from worker.store.staging import RawObject, stage_records

ACCOUNT = "AC" + "0" * 31 + "1"


def create_twilio_connection(conn, tenant_id: uuid.UUID, account_sid: str = ACCOUNT) -> uuid.UUID:
    """A tenant-owned `twilio` connection (profile_id NULL) whose account_id is the account SID."""
    conn.execute("insert into integrations.providers (provider, ownership) values ('twilio', 'tenant')"
                 " on conflict do nothing")
    return conn.execute(
        "insert into integrations.connections (tenant_id, profile_id, provider, ownership, account_id)"
        " values (%s, null, 'twilio', 'tenant', %s) returning id",
        (tenant_id, account_sid),
    ).fetchone()["id"]


def sms(sid: str, *, direction="outbound-api", from_="+14155550100", to="+14155550199", body="Hello",
        status="delivered", num_segments="1", num_media="0", price: str | None = "-0.00790", price_unit="USD",
        error_code: int | None = None, error_message: str | None = None,
        date_created="Thu, 30 Jul 2015 20:12:31 +0000", date_updated="Thu, 30 Jul 2015 20:12:33 +0000",
        date_sent: str | None = "Thu, 30 Jul 2015 20:12:33 +0000", account_sid=ACCOUNT) -> dict:
    """A Message resource as Messages.json lists it."""
    return {"account_sid": account_sid, "api_version": "2010-04-01", "body": body, "date_created": date_created,
            "date_sent": date_sent, "date_updated": date_updated, "direction": direction,
            "error_code": error_code, "error_message": error_message, "from": from_,
            "messaging_service_sid": None, "num_media": num_media, "num_segments": num_segments, "price": price,
            "price_unit": price_unit, "sid": sid, "status": status, "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}/Media.json"},
            "to": to, "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json"}


def call(sid: str, *, direction="inbound", from_="+14155550100", to="+14155550199", status="completed",
         start_time: str | None = "Tue, 10 Aug 2010 08:02:17 +0000",
         end_time: str | None = "Tue, 10 Aug 2010 08:04:22 +0000", duration: str | None = "125",
         price: str | None = "-0.03000", price_unit="USD", parent_call_sid: str | None = None,
         account_sid=ACCOUNT) -> dict:
    """A Call resource as Calls.json lists it."""
    return {"account_sid": account_sid, "annotation": None, "answered_by": None, "api_version": "2010-04-01",
            "caller_name": None, "date_created": "Tue, 10 Aug 2010 08:02:15 +0000",
            "date_updated": "Tue, 10 Aug 2010 08:04:22 +0000", "direction": direction, "duration": duration,
            "end_time": end_time, "forwarded_from": None, "from": from_, "from_formatted": from_,
            "group_sid": None, "parent_call_sid": parent_call_sid, "phone_number_sid": None, "price": price,
            "price_unit": price_unit, "sid": sid, "start_time": start_time, "status": status,
            "to": to, "to_formatted": to, "uri": f"/2010-04-01/Accounts/{account_sid}/Calls/{sid}.json"}


def message_sid(n: int) -> str:
    return "SM" + hashlib.md5(str(n).encode()).hexdigest()


def call_sid(n: int) -> str:
    return "CA" + hashlib.md5(str(n).encode()).hexdigest()


def deleted(sid: str) -> RawObject:
    """A message or call deleted at Twilio (reconcile found it gone): a tombstone."""
    return RawObject(sid, {"sid": sid}, is_deleted=True)


def stage_sms(conn, connection_id, tenant_id, messages: list[dict | RawObject]):
    objects = [m if isinstance(m, RawObject) else RawObject(m["sid"], m) for m in messages]
    return stage_records(conn, connection_id, tenant_id, "sync_sms_live", "twilio.message", objects)


def stage_calls(conn, connection_id, tenant_id, calls: list[dict | RawObject]):
    objects = [c if isinstance(c, RawObject) else RawObject(c["sid"], c) for c in calls]
    return stage_records(conn, connection_id, tenant_id, "sync_calls_live", "twilio.call", objects)


def product_id(tenant_id, sid: str) -> str:
    """text_message_id / call_id: md5(tenant | twilio | sid) as a uuid."""
    return str(uuid.UUID(hashlib.md5(f"{tenant_id}|twilio|{sid}".encode()).hexdigest()))
