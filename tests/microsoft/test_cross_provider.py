"""End to end over HTTP: a Gmail mailbox and an Outlook mailbox of one tenant, synced by their live
tasks, normalized by dbt. One email in both is one product.emails row with two mailbox rows; one
meeting in both calendars is one product.meetings row; an Outlook move is a label change."""

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.gmail.conftest import Mailbox, gsb, make_raw  # noqa: F401  (gsb: fixture)
from tests.microsoft.conftest import Outlook, graph_message
from tests.microsoft.test_calendar import CAL_SCOPES
from worker.app import open_app_async
from worker.db.connect import connect
from worker.normalize import run_dbt
from worker.providers.google.capabilities import CALENDAR_READONLY, GMAIL_READONLY
from worker.tasks.dispatch import defer_live

pytestmark = pytest.mark.asyncio


@pytest.fixture
def pair(gsb, msb, make_database):  # noqa: F811
    """A Gmail and an Outlook connection of one tenant in a database of their own (dbt runs on it)."""
    url = make_database.create(prefix="xprov")
    google = Mailbox(gsb, url, "ana@acme.example", {"sync_inbox_live": None, "sync_calendar_live": {}},
                     [GMAIL_READONLY, CALENDAR_READONLY])
    microsoft = Outlook(msb, url, "cleo@acme.example", {"sync_inbox_live": None, "sync_calendar_live": {}},
                        CAL_SCOPES, tenant_id=google.tenant_id)
    return url, google, microsoft


async def normalize(url: str) -> None:
    output: list[str] = []
    assert await run_dbt(url, on_line=output.append) == 0, "\n".join(output[-40:])


async def test_one_email_in_gmail_and_outlook_is_one_email_with_two_mailboxes(pair):
    url, google, microsoft = pair
    message_id = f"<{uuid.uuid4().hex}@client.example>"
    sent = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
    raw = make_raw("carla@client.example", "ana@acme.example, cleo@acme.example", "Order form", "Signed.",
                   message_id=message_id)
    raw = raw.replace(b"Subject:", b"Date: Fri, 20 Nov 2026 09:30:00 +0000\nSubject:", 1)
    google.sandbox.import_message(google.email, raw, ["INBOX"])
    outlook_copy = graph_message("Order form", sender="carla@client.example", to="cleo@acme.example",
                                 body="<p>Signed.</p>", html=True, message_id=message_id)
    outlook_copy["sentDateTime"] = outlook_copy["receivedDateTime"] = sent.isoformat().replace("+00:00", "Z")
    moved = microsoft.sandbox.import_message(microsoft.email, outlook_copy, "inbox")["id"]
    await google.run_live()
    await microsoft.run_live()
    await normalize(url)

    with connect(url) as conn:
        emails = conn.execute("select * from product.emails where message_id_header = %s", (message_id,)).fetchall()
        boxes = conn.execute("select m.* from product.email_mailboxes m join product.emails e using (email_id)"
                             " where e.message_id_header = %s order by m.provider", (message_id,)).fetchall()
    assert len(emails) == 1 and emails[0]["subject"] == "Order form"
    assert [(b["provider"], b["connection_id"]) for b in boxes] == [("google", google.id), ("microsoft", microsoft.id)]
    outlook_box = boxes[1]
    assert outlook_box["provider_message_id"] == moved and "Inbox" in outlook_box["labels"]

    microsoft.sandbox.move_message(microsoft.email, moved, "archive")  # a move is a label change
    await microsoft.run_live()
    await normalize(url)
    with connect(url) as conn:
        row = conn.execute("select labels, is_deleted from product.email_mailboxes where provider_message_id = %s",
                           (moved,)).fetchone()
    assert "Archive" in row["labels"] and "Inbox" not in row["labels"] and not row["is_deleted"]


async def test_one_meeting_in_google_and_outlook_calendars_is_one_meeting(pair):
    url, google, microsoft = pair
    uid = f"{uuid.uuid4().hex}@acme.example"
    start = (datetime.now(timezone.utc) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    end = start + timedelta(minutes=45)
    google.sandbox.import_event(google.email, {
        "iCalUID": uid, "summary": "Renewal review", "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": end.isoformat()}, "organizer": {"email": google.email},
        "attendees": [{"email": google.email, "organizer": True, "responseStatus": "accepted"},
                      {"email": microsoft.email, "responseStatus": "accepted"}]})
    microsoft.sandbox.import_event(microsoft.email, {
        "iCalUId": uid, "subject": "Renewal review",
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
        "end": {"dateTime": end.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
        "organizer": {"emailAddress": {"address": google.email}}, "isOrganizer": False,
        "attendees": [{"emailAddress": {"address": google.email}, "type": "required",
                       "status": {"response": "organizer"}},
                      {"emailAddress": {"address": microsoft.email}, "type": "required",
                       "status": {"response": "accepted"}}]})
    async with open_app_async(url) as app:
        await defer_live(google.id, "sync_calendar_live")
        await app.run_worker_async(concurrency=2, wait=False, queues=["default"])
    await microsoft.run_live("sync_calendar_live")
    await normalize(url)
    with connect(url) as conn:
        meetings = conn.execute("select * from product.meetings where ical_uid = %s", (uid,)).fetchall()
        attendees = conn.execute("select address from product.meeting_attendees where meeting_id = %s order by 1",
                                 (meetings[0]["meeting_id"] if meetings else None,)).fetchall()
    assert len(meetings) == 1 and meetings[0]["title"] == "Renewal review"
    assert meetings[0]["start_at"] == start and meetings[0]["organizer_address"] == google.email
    assert [a["address"] for a in attendees] == sorted([google.email, microsoft.email])
