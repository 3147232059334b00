"""Microsoft Graph v1.0 JSON as the Outlook sync stages it (`outlook.message`, `outlook.mail_folder`,
`outlook.event` raw records), and the helpers that stage it through the store's own staging function.

The shapes follow the Graph reference (message, mailFolder, event resources; `@removed` entries of a
delta response) with the `$select` the sync asks for; values are the tests' own."""

from __future__ import annotations

import uuid

from worker.store.staging import RawObject, stage_records


def address(addr: str, name: str | None = None) -> dict:
    return {"emailAddress": {"name": name if name is not None else addr.split("@")[0].title(), "address": addr}}


def graph_message(message_id: str, *, subject="Hello", sender="ann@example.com", sender_name="Ann",
                  to=("me@acme.com",), cc=(), bcc=(), reply_to=(), internet_message_id: str | None = "auto",
                  body="Hi\n", content_type="text", sent="2024-01-15T10:00:00Z", received="2024-01-15T10:00:05Z",
                  folder="inbox-folder-id", categories=(), conversation="conv-1", is_draft=False,
                  headers: list[dict] | None = None) -> dict:
    """A Graph `message` as `GET /me/messages/{id}` returns it with the sync's $select."""
    if internet_message_id == "auto":
        internet_message_id = f"<{uuid.uuid4().hex}@example.com>"
    if headers is None:
        headers = [{"name": "Date", "value": "Mon, 15 Jan 2024 10:00:00 +0000"}]
        if internet_message_id:
            headers.append({"name": "Message-ID", "value": internet_message_id})
    return {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('me')/messages/$entity",
        "@odata.etag": f'W/"{uuid.uuid4().hex[:16]}"',
        "id": message_id,
        "createdDateTime": received,
        "lastModifiedDateTime": received,
        "receivedDateTime": received,
        "sentDateTime": sent,
        "internetMessageId": internet_message_id,
        "internetMessageHeaders": headers,
        "subject": subject,
        "bodyPreview": body.strip()[:255],
        "body": {"contentType": content_type, "content": body},
        "from": address(sender, sender_name),
        "sender": address(sender, sender_name),
        "toRecipients": [address(a) for a in to],
        "ccRecipients": [address(a) for a in cc],
        "bccRecipients": [address(a) for a in bcc],
        "replyTo": [address(a) for a in reply_to],
        "conversationId": conversation,
        "parentFolderId": folder,
        "categories": list(categories),
        "isDraft": is_draft,
        "isRead": False,
        "hasAttachments": False,
        "importance": "normal",
    }


def removed(object_id: str) -> RawObject:
    """A delta `@removed` entry, staged as a tombstone."""
    return RawObject(object_id, {"id": object_id, "@removed": {"reason": "deleted"}}, is_deleted=True)


def create_microsoft_connection(conn, tenant_id: uuid.UUID, account: str) -> uuid.UUID:
    """A user-owned `microsoft` connection whose account_id is the mailbox address."""
    conn.execute("insert into integrations.providers (provider, ownership) values ('microsoft', 'user')"
                 " on conflict do nothing")
    return conn.execute(
        "insert into integrations.connections (tenant_id, profile_id, provider, ownership, account_id)"
        " values (%s, gen_random_uuid(), 'microsoft', 'user', %s) returning id",
        (tenant_id, account),
    ).fetchone()["id"]


def stage_outlook(conn, connection_id, tenant_id, messages: dict[str, dict | RawObject]):
    """Stage {message id: Graph message JSON | RawObject (a tombstone)} as the mail sync does."""
    objects = [m if isinstance(m, RawObject) else RawObject(key, m) for key, m in messages.items()]
    return stage_records(conn, connection_id, tenant_id, "sync_inbox_live", "outlook.message", objects)


def stage_folders(conn, connection_id, tenant_id, folders: dict[str, str]):
    """Stage {folder id: displayName} as mailFolder JSON."""
    objects = [RawObject(fid, {"id": fid, "displayName": name, "parentFolderId": "root"})
               for fid, name in folders.items()]
    return stage_records(conn, connection_id, tenant_id, "sync_inbox_live", "outlook.mail_folder", objects)


def stage_events(conn, connection_id, tenant_id, events: dict[str, dict | RawObject]):
    """Stage {event id: Graph event JSON | RawObject (a tombstone)} as the calendar sync does."""
    objects = [e if isinstance(e, RawObject) else RawObject(key, e) for key, e in events.items()]
    return stage_records(conn, connection_id, tenant_id, "sync_calendar_live", "outlook.event", objects)


def graph_time(value: str, zone: str = "UTC") -> dict:
    """Graph's dateTimeTimeZone: a zone-less local time with 7 fraction digits, and its zone."""
    return {"dateTime": f"{value}.0000000", "timeZone": zone}


def graph_event(event_id: str, *, subject="Weekly sync", ical_uid: str | None = None, start="2026-03-02T09:00:00",
                end="2026-03-02T10:00:00", zone="UTC", event_type="singleInstance", series_master_id=None,
                original_start=None, organizer="me@acme.com", organizer_name="Me", is_organizer=True,
                attendees=(), is_all_day=False, is_cancelled=False, recurrence=None, join_url=None,
                location="Room 1", body="<html><body><p>Agenda</p></body></html>") -> dict:
    """A Graph `event` as calendarView/delta (or GET /me/events/{id} for a master) returns it.
    `attendees`: (address, response, type) triples."""
    return {
        "@odata.etag": f'W/"{uuid.uuid4().hex[:16]}"',
        "id": event_id,
        "createdDateTime": "2026-02-20T08:00:00.0000000Z",
        "lastModifiedDateTime": "2026-02-21T08:00:00.0000000Z",
        "iCalUId": ical_uid or f"040000008200E00074C5B7101A82E008{uuid.uuid4().hex.upper()}",
        "type": event_type,
        "seriesMasterId": series_master_id,
        "originalStart": original_start,
        "originalStartTimeZone": zone,
        "isCancelled": is_cancelled,
        "isAllDay": is_all_day,
        "isOrganizer": is_organizer,
        "subject": subject,
        "bodyPreview": "Agenda",
        "body": {"contentType": "html", "content": body},
        "start": graph_time(start, zone),
        "end": graph_time(end, zone),
        "location": {"displayName": location},
        "organizer": {"emailAddress": {"name": organizer_name, "address": organizer}},
        "attendees": [{"type": kind, "status": {"response": response, "time": "0001-01-01T00:00:00Z"},
                       "emailAddress": {"name": addr.split("@")[0].title(), "address": addr}}
                      for addr, response, kind in attendees],
        "isOnlineMeeting": join_url is not None,
        "onlineMeeting": {"joinUrl": join_url} if join_url else None,
        "showAs": "busy",
        "recurrence": recurrence,
    }
