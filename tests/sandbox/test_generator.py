"""Generated data: deterministic, and containing every shape real mail and calendars have."""

from __future__ import annotations

import base64
from email import message_from_bytes
from email.policy import default

from sandbox.google import Sandbox
from sandbox.google.generator import MESSAGE_KINDS

USERS = ["ana@acme.test", "ben@acme.test", "cy@other.test"]


def raws(sb, user):
    return [base64.urlsafe_b64decode(sb.get_message(user, i, "raw")["raw"]) for i in sb.message_ids(user)]


def test_same_seed_same_bytes_and_different_seed_differs():
    first, second, other = Sandbox(seed=3), Sandbox(seed=3), Sandbox(seed=4)
    for sb in (first, second, other):
        sb.generate(USERS[:1], messages=30, events=5)
    assert raws(first, USERS[0]) == raws(second, USERS[0])
    assert raws(first, USERS[0]) != raws(other, USERS[0])
    assert first.message_ids(USERS[0]) == second.message_ids(USERS[0])


def test_mail_has_every_shape_normalization_must_handle():
    sb = Sandbox()
    summary = sb.generate(USERS, messages=len(MESSAGE_KINDS) + 10, events=8)
    messages = [message_from_bytes(r, policy=default) for r in raws(sb, USERS[0])]
    types = set()
    for msg in messages:
        types.update(part.get_content_type() for part in msg.walk())
    assert {"multipart/alternative", "multipart/mixed", "multipart/related", "multipart/report",
            "message/delivery-status", "message/rfc822", "application/pdf", "image/png"} <= types
    charsets = {part.get_content_charset() for msg in messages for part in msg.walk()}
    assert {"utf-8", "iso-8859-1", "windows-1252", "shift_jis"} <= charsets
    assert any(msg["Message-ID"] is None for msg in messages)
    assert any("=?" in r.decode("latin-1") for r in raws(sb, USERS[0]))
    assert any("Doe, Jane" in str(msg["From"]) for msg in messages)
    assert any(msg["References"] and len(msg["References"].split()) >= 3 for msg in messages)
    assert any("+1 415-555-" in r.decode("latin-1") and "\r\n--\r\n" in r.decode("latin-1")
               for r in raws(sb, USERS[0]))
    labels = {l for i in sb.message_ids(USERS[0]) for l in sb.get_message(USERS[0], i, "minimal")["labelIds"]}
    assert {"SPAM", "TRASH", "INBOX", "SENT"} <= labels
    large = [p for i in sb.message_ids(USERS[0]) for p in _parts(sb.get_message(USERS[0], i)["payload"])
             if p["body"].get("size", 0) > 8192]
    assert large and all("attachmentId" in p["body"] for p in large)
    # the same message in two mailboxes of one tenant
    shared = summary["shared"][0]
    holders = [u for u in USERS if any(m["Message-ID"] == shared for m in
                                       (message_from_bytes(r, policy=default) for r in raws(sb, u)))]
    assert holders == USERS[:2]


def test_calendars_have_every_shape():
    sb = Sandbox()
    sb.generate(USERS[:1], messages=1, events=8)
    calendar = sb.world.calendar_account(USERS[0]).calendar("primary")
    events = list(calendar.events.values())
    assert any("date" in e.get("start", {}) for e in events)
    assert any(e.get("recurrence") for e in events)
    assert any(e.get("recurringEventId") and e["status"] == "cancelled" for e in events)
    assert any(e.get("recurringEventId") and e["status"] == "confirmed" for e in events)
    assert any(e.get("hangoutLink") and e.get("conferenceData") for e in events)
    assert any(not e.get("organizer", {}).get("self") for e in events if "organizer" in e)
    statuses = {a["responseStatus"] for e in events for a in e.get("attendees", [])}
    assert statuses == {"needsAction", "declined", "tentative", "accepted"}
    zones = {e["start"].get("timeZone") for e in events if "start" in e} - {None}
    assert len(zones) >= 3


def test_generate_stores_exactly_the_messages_it_reports():
    """(How fast generation is belongs to bench/sandbox_bench.py, not to a test.)"""
    sb = Sandbox()
    summary = sb.generate(["a@x.test", "b@x.test"], messages=500, events=0)
    stored = {user: len(sb.message_ids(user)) for user in ("a@x.test", "b@x.test")}
    assert summary["messages"] == sum(stored.values())
    # each user writes 500; a shared message also lands in the peer's mailbox
    assert stored["a@x.test"] >= 500 and stored["b@x.test"] >= 500
    assert sum(stored.values()) == 1000 + len(summary["shared"])


def _parts(part):
    yield part
    for sub in part.get("parts", []):
        yield from _parts(sub)
