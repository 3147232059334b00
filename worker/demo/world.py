"""The demo's sandboxes: a generated tenant, meetings shared by its users, and later changes.

Ana and Ben are on Google, Cleo on Microsoft 365, all in one tenant. The sandboxes are the
separately installed `sandbox` package, loaded at run time (`worker.optional`); `Sandbox` below
means `sandbox.google.Sandbox`, `MicrosoftSandbox` `sandbox.microsoft.Sandbox`.
"""

from __future__ import annotations

import ssl
import threading
import uuid
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import httpx

from worker.optional import load_sandbox

Sandbox = Any  # sandbox.google.Sandbox, never imported statically
MicrosoftSandbox = Any  # sandbox.microsoft.Sandbox

DEMO_TENANT = uuid.UUID("00000000-0000-4000-8000-00000000d3e0")
ANA = "ana@acme.example"
BEN = "ben@acme.example"
CLEO = "cleo@acme.example"  # on Microsoft 365
USERS = {ANA: uuid.UUID("00000000-0000-4000-8000-00000000a11c"),  # email -> CRM profile id (Google)
         BEN: uuid.UUID("00000000-0000-4000-8000-00000000b0b0")}
MICROSOFT_USERS = {CLEO: uuid.UUID("00000000-0000-4000-8000-00000000c1e0")}
SHARED_WITH_OUTLOOK = "Order confirmation for Acme"
SEED = 7
SHARED_MEETINGS = ["Acme weekly pipeline review", "Renewal strategy with Globex", "Quarterly business review"]


def start_sandbox(messages: int, events: int, quota_units: int) -> tuple[Sandbox, dict]:
    """A started sandbox holding the demo tenant's mailboxes and calendars."""
    google = load_sandbox("sandbox.google", "`integrations demo`")
    sandbox = google.Sandbox(seed=SEED, quota_units_per_window=quota_units)
    summary = sandbox.generate(list(USERS), messages=messages, events=events)
    summary["shared_meetings"] = add_shared_meetings(sandbox)
    sandbox.start()
    return sandbox, summary


def start_microsoft_sandbox(messages: int, events: int) -> tuple[MicrosoftSandbox, dict]:
    """A started Microsoft sandbox (HTTPS) holding Cleo's Outlook mailbox and calendar."""
    microsoft = load_sandbox("sandbox.microsoft", "`integrations demo`")
    sandbox = microsoft.Sandbox(seed=SEED)
    summary = sandbox.generate(list(MICROSOFT_USERS), messages=messages, events=events)
    sandbox.start()
    return sandbox, summary


def share_with_outlook(google: Sandbox, microsoft: MicrosoftSandbox, shared_meetings: list[dict]) -> dict:
    """One email in Ana's Gmail and Cleo's Outlook (one Message-ID, one sender, one date) and Ana's
    first shared meeting in Cleo's Outlook calendar (its iCalUID, its start): one row each in the
    product tables, with a mailbox (an attendee copy) per provider."""
    sent = datetime(2024, 6, 7, 15, 30, tzinfo=timezone.utc)
    message_id = make_msgid(idstring="acme-order", domain="client.example")
    sender, body = "carla.client@client.example", "Hi Ana, hi Cleo,\nthe order is confirmed.\nCarla\n"
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = f"Carla Client <{sender}>", f"{ANA}, {CLEO}", SHARED_WITH_OUTLOOK
    msg["Date"], msg["Message-ID"] = format_datetime(sent), message_id
    msg.set_content(body)
    google.import_message(ANA, msg.as_bytes(), ["INBOX"])
    microsoft.import_message(CLEO, {
        "subject": SHARED_WITH_OUTLOOK, "internetMessageId": message_id,
        "from": {"emailAddress": {"name": "Carla Client", "address": sender}},
        "toRecipients": [{"emailAddress": {"address": ANA}}, {"emailAddress": {"address": CLEO}}],
        "sentDateTime": sent.isoformat().replace("+00:00", "Z"),
        "receivedDateTime": sent.isoformat().replace("+00:00", "Z"),
        "body": {"contentType": "text", "content": body},
        "internetMessageHeaders": [{"name": "Message-ID", "value": message_id},
                                   {"name": "Date", "value": format_datetime(sent)}]}, "inbox")
    meeting = shared_meetings[-1]  # the one the lifecycle leaves unchanged
    event = google.get_event(ANA, meeting["ana_id"])
    start = datetime.fromisoformat(event["start"]["dateTime"]).astimezone(timezone.utc)
    end = datetime.fromisoformat(event["end"]["dateTime"]).astimezone(timezone.utc)
    microsoft.import_event(CLEO, {
        "iCalUId": meeting["ical_uid"], "subject": event["summary"], "isOrganizer": False,
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
        "end": {"dateTime": end.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
        "location": {"displayName": event.get("location") or ""},
        "organizer": {"emailAddress": {"address": ANA}},
        "attendees": [{"emailAddress": {"address": ANA}, "type": "required", "status": {"response": "organizer"}},
                      {"emailAddress": {"address": CLEO}, "type": "required", "status": {"response": "accepted"}}]})
    return {"email": SHARED_WITH_OUTLOOK, "message_id": message_id, "meeting": meeting["title"],
            "ical_uid": meeting["ical_uid"]}


def add_shared_meetings(sandbox: Sandbox) -> list[dict]:
    """Meetings Ana organizes with Ben: one event in each calendar, the same iCalUID."""
    base = datetime(2024, 6, 10, 9, 0, tzinfo=timezone.utc)
    shared = []
    for n, title in enumerate(SHARED_MEETINGS):
        start = base + timedelta(days=2 * n, hours=n)
        event = {
            "summary": title, "description": "Agenda: pipeline, renewals, next steps.", "location": "Room 4",
            "start": {"dateTime": start.isoformat(), "timeZone": "Europe/Berlin"},
            "end": {"dateTime": (start + timedelta(minutes=45)).isoformat(), "timeZone": "Europe/Berlin"},
            "attendees": [{"email": ANA, "organizer": True, "responseStatus": "accepted"},
                          {"email": BEN, "responseStatus": "accepted"},
                          {"email": "carla.client@client.example", "displayName": "Carla Client",
                           "responseStatus": "needsAction"}],
        }
        ana_copy = sandbox.import_event(ANA, event)
        ben_copy = sandbox.import_event(BEN, {**event, "iCalUID": ana_copy["iCalUID"],
                                              "organizer": {"email": ANA}, "creator": {"email": ANA}})
        shared.append({"title": title, "ical_uid": ana_copy["iCalUID"], "ana_id": ana_copy["id"],
                       "ben_id": ben_copy["id"]})
    return shared


def consent_in_background(url: str, verify: bool | str = True) -> threading.Thread:
    """Play the browser: open the consent URL; the sandbox consents as the login_hint account and
    redirects to the loopback receiver the connect flow waits on. `verify` may name a CA bundle
    (the Microsoft sandbox's): httpx deprecated a path there, so it becomes an SSL context."""
    errors: list[BaseException] = []
    if isinstance(verify, str):
        verify = ssl.create_default_context(cafile=verify)

    def browse() -> None:
        try:
            httpx.get(url, follow_redirects=True, timeout=30.0, verify=verify)
        except BaseException as error:  # reported through connect_google's timeout
            errors.append(error)

    thread = threading.Thread(target=browse, name="demo-browser", daemon=True)
    thread.errors = errors
    thread.start()
    return thread


def _raw(sender: str, to: list[str], subject: str, body: str, cc: list[str] = (),
         message_id: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, ", ".join(to), subject
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    msg["Message-ID"] = message_id or make_msgid(domain="client.example")
    msg.set_content(body)
    return msg.as_bytes()


def add_new_mail(sandbox: Sandbox) -> list[str]:
    """New mail arriving after the first sync; one of them lands in both mailboxes."""
    both = _raw("Carla Client <carla.client@client.example>", [ANA], "Signed order form attached",
                "Hi Ana, the signed order form is attached. Ben, please set up the kick-off.\n", cc=[BEN])
    sandbox.import_message(ANA, both, ["INBOX", "UNREAD"])
    sandbox.import_message(BEN, both, ["INBOX", "UNREAD"])
    sandbox.import_message(ANA, _raw("Dmitri Vendor <dmitri@vendor.example>", [ANA], "Invoice 5120 due",
                                     "Please find invoice 5120 for June.\n"), ["INBOX"])
    sandbox.import_message(BEN, _raw("Grace Partner <grace@partner.example>", [BEN], "Partnership next steps",
                                     "Let us schedule the workshop.\n"), ["INBOX"])
    return ["Signed order form attached", "Invoice 5120 due", "Partnership next steps"]


PUSHED_MAIL = "Revised proposal for Acme (arrived by push)"


def add_pushed_mail(sandbox: Sandbox) -> str:
    """One new message in Ana's inbox while `integrations serve` listens (the push step); its
    Message-ID (returned) finds its row in product.emails. Returns once the sandbox's Pub/Sub push
    of the change was answered (deliveries are made in the caller's thread)."""
    message_id = make_msgid(idstring="pushed", domain="client.example")
    sandbox.import_message(ANA, _raw("Carla Client <carla.client@client.example>", [ANA], PUSHED_MAIL,
                                     "Hi Ana, the revised proposal is attached.\nCarla\n", message_id=message_id),
                           ["INBOX", "UNREAD"])
    return message_id


def change_meetings(sandbox: Sandbox, shared: list[dict]) -> dict:
    """Move the first shared meeting and cancel the second, in both calendars (as Google would)."""
    moved, cancelled = shared[0], shared[1]
    start = datetime(2024, 6, 11, 13, 0, tzinfo=timezone.utc)
    changes = {"summary": moved["title"] + " (moved)",
               "start": {"dateTime": start.isoformat(), "timeZone": "Europe/Berlin"},
               "end": {"dateTime": (start + timedelta(hours=1)).isoformat(), "timeZone": "Europe/Berlin"}}
    sandbox.update_event(ANA, moved["ana_id"], changes)
    sandbox.update_event(BEN, moved["ben_id"], changes)
    sandbox.cancel_event(ANA, cancelled["ana_id"])
    sandbox.cancel_event(BEN, cancelled["ben_id"])
    return {"moved": moved, "cancelled": cancelled}
