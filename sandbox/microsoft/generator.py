"""Deterministic Outlook mailboxes and calendars from a seed, for the demo and the benchmarks.

Mail: html and text bodies, attachments, custom ``x-`` headers, read and unread, inbox, archive and
sent items, and for every pair of users in one domain the same message in both mailboxes (one
internetMessageId). Calendars: timed and all-day events in several time zones, weekly and daily
series with a changed and a deleted occurrence, and meetings shared by colleagues (one iCalUId in
each attendee's calendar). Times are fixed around ``EPOCH`` so output never depends on today.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta, timezone

EPOCH = datetime(2024, 6, 3, 9, 0, tzinfo=timezone.utc)
NAMES = ["Chloé Dubois", "Dmitri Ivanov", "Grace O'Brien", "Hiro Tanaka", "Inès García", "Jonas Müller"]
TOPICS = ["Q3 renewal", "Pricing proposal", "Kick-off meeting", "Invoice 4471", "Contract review",
          "Onboarding plan", "Security questionnaire", "Demo follow-up", "Partnership", "Roadmap"]
WORDS = ("thanks for the call earlier we can move forward with the proposal once legal has reviewed the terms "
         "please find the details below and let me know if anything is missing").split()
ZONES = ["UTC", "Pacific Standard Time", "W. Europe Standard Time", "Tokyo Standard Time"]


def _person(name: str, address: str) -> dict:
    return {"emailAddress": {"name": name, "address": address}}


def _stamp(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(rng: random.Random, n: int = 24) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _message(rng: random.Random, user: str, n: int, when: datetime, seed: int) -> tuple[dict, str]:
    name = rng.choice(NAMES)
    sender = _person(name, name.split()[0].lower().replace("é", "e").replace("è", "e") + "@client.example")
    text = _text(rng)
    html = n % 3 != 0
    message = {
        "subject": f"{rng.choice(TOPICS)} #{n}",
        "body": {"contentType": "html" if html else "text",
                 "content": f"<html><body><p>{text}</p></body></html>" if html else text},
        "from": sender, "sender": sender, "toRecipients": [_person(user.split("@")[0].title(), user)],
        "receivedDateTime": _stamp(when), "sentDateTime": _stamp(when - timedelta(seconds=40)),
        "isRead": rng.random() < 0.6, "importance": rng.choice(["normal", "normal", "high", "low"]),
        "internetMessageId": f"<{hashlib.sha1(f'{seed}/{user}/{n}'.encode()).hexdigest()[:20]}@client.example>",
        "internetMessageHeaders": [{"name": "X-Mailer", "value": "sandbox-generator"}],
    }
    if n % 7 == 0:
        message["attachments"] = [{"@odata.type": "#microsoft.graph.fileAttachment", "name": f"report-{n}.txt",
                                   "contentType": "text/plain", "contentBytes": "cmVwb3J0", "size": 6}]
    folder = "archive" if n % 10 == 4 else "sentitems" if n % 10 == 7 else "inbox"
    if folder == "sentitems":
        message["from"] = message["sender"] = _person(user.split("@")[0].title(), user)
        message["toRecipients"] = [sender]
        message["isRead"] = True
    return message, folder


def _event(rng: random.Random, user: str, n: int) -> dict:
    zone = ZONES[n % len(ZONES)]
    start = (EPOCH + timedelta(days=rng.randint(-20, 40))).replace(hour=rng.choice([8, 10, 14, 16]), tzinfo=None)
    length = timedelta(minutes=rng.choice([30, 45, 60]))
    event = {
        "subject": f"{rng.choice(TOPICS)} ({n})",
        "body": {"contentType": "html", "content": f"<p>{_text(rng, 10)}</p>"},
        "start": {"dateTime": start.isoformat(), "timeZone": zone},
        "end": {"dateTime": (start + length).isoformat(), "timeZone": zone},
        "location": {"displayName": rng.choice(["Room 4", "Berlin HQ", ""])},
        "attendees": [{"emailAddress": {"name": rng.choice(NAMES), "address": "guest@client.example"},
                       "type": "required", "status": {"response": rng.choice(["accepted", "declined", "none"]),
                                                      "time": "2024-06-01T00:00:00Z"}}],
    }
    if n % 5 == 1:
        event.update(isAllDay=True, start={"dateTime": start.date().isoformat() + "T00:00:00", "timeZone": "UTC"},
                     end={"dateTime": (start.date() + timedelta(days=1)).isoformat() + "T00:00:00", "timeZone": "UTC"})
    elif n % 5 == 2:
        event["recurrence"] = {"pattern": {"type": "weekly", "interval": 1, "daysOfWeek": [
            start.strftime("%A").lower()], "firstDayOfWeek": "sunday"}, "range": {
            "type": "numbered", "startDate": start.date().isoformat(), "numberOfOccurrences": 8}}
    elif n % 5 == 3:
        event["recurrence"] = {"pattern": {"type": "daily", "interval": 2}, "range": {
            "type": "endDate", "startDate": start.date().isoformat(),
            "endDate": (start.date() + timedelta(days=14)).isoformat()}}
    return event


def populate(sb, users: list[str], messages: int = 50, events: int = 20, seed: int = 0) -> dict:
    """Fill ``sb`` for ``users``; colleagues share mail and meetings with their domain's peers."""
    summary: dict = {"users": [], "messages": 0, "events": 0, "shared": []}
    users = [u.lower() for u in users]
    for user in users:
        sb.add_account(user)
    for user in users:
        rng = random.Random(f"{seed}/microsoft/{user}")
        peers = [u for u in users if u != user and u.split("@")[1] == user.split("@")[1]]
        for n in range(messages):
            when = EPOCH - timedelta(minutes=37 * (messages - n) + rng.randint(0, 30))
            if n == messages // 2 and peers:
                shared = {"subject": "Shared: team update", "body": {"contentType": "text", "content": _text(rng)},
                          "from": _person("Me", user), "toRecipients": [_person("Peer", peers[0])],
                          "ccRecipients": [_person("Me", user)], "receivedDateTime": _stamp(when),
                          "internetMessageId": f"<shared-{seed}-{hashlib.sha1(user.encode()).hexdigest()[:10]}"
                                               "@acme.example>"}
                sb.import_message(user, {**shared, "isRead": True}, "sentitems")
                sb.import_message(peers[0], shared, "inbox")
                summary["shared"].append(shared["internetMessageId"])
                summary["messages"] += 2
                continue
            message, folder = _message(rng, user, n, when, seed)
            sb.import_message(user, message, folder)
            summary["messages"] += 1
        for n in range(events):
            event = _event(rng, user, n)
            if n % 5 == 4 and peers:
                event["attendees"].append({"emailAddress": {"name": "Peer", "address": peers[0]},
                                           "type": "required", "status": {"response": "accepted",
                                                                          "time": "2024-06-01T00:00:00Z"}})
                event["iCalUId"] = "040000008200E00074C5B7101A82E008" + hashlib.sha1(
                    f"{seed}/{user}/{n}".encode()).hexdigest()
                sb.import_event(peers[0], {**event, "organizer": _person("Organizer", user)})
                summary["events"] += 1
            stored = sb.import_event(user, event)
            summary["events"] += 1
            if "recurrence" in event and n % 10 == 2:
                instances = sb.world.calendar_account(user).instances_of(
                    sb.world.calendar_account(user).events[stored["id"]], EPOCH - timedelta(days=60),
                    EPOCH + timedelta(days=120))
                if len(instances) > 2:
                    sb.update_event(user, instances[1].id, {"subject": event["subject"] + " (moved)"})
                    sb.delete_event(user, instances[2].id)
        summary["users"].append(user)
    return summary
