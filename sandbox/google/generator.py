"""Deterministic mailboxes and calendars that look like real ones, from a seed.

Messages are written as RFC 2822 bytes with Python's ``email`` package and imported exactly as a
client-imported message would be, so normalization meets what real mail contains: every MIME
shape (alternative, mixed with small and large attachments, related, a multipart/report bounce),
four charsets, RFC 2047 headers, awkward display names, long threads, a message without
Message-ID, the same message in two mailboxes of one tenant, signatures with phone numbers, SPAM
and TRASH. Calendars get timed, all-day and multi-day events, recurring series with modified and
cancelled instances, every attendee response, outside organizers, conference links and several
time zones. Same seed, same bytes.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime
from zoneinfo import ZoneInfo

EPOCH = datetime(2024, 6, 3, 9, 0, tzinfo=timezone.utc)  # fixed, so output never depends on today
FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Eve", "François", "Grace", "Hiro", "Ines", "Jonas",
         "Kenji", "Léa", "Mia", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tess"]
LAST = ["Smith", "O'Brien", "Müller", "García", "Tanaka", "Nguyen", "Kowalski", "Dubois",
        "Rossi", "Okafor", "Johansson", "Silva"]
TITLES = ["Head of Sales", "Account Executive", "CTO", "Procurement Lead", "Office Manager"]
TOPICS = ["Q3 renewal", "Pricing proposal", "Kick-off meeting", "Invoice 4471", "Contract review",
          "Onboarding plan", "Security questionnaire", "Demo follow-up", "Partnership", "Roadmap"]
WORDS = ("thanks for the call earlier we can move forward with the proposal once legal has "
         "reviewed the terms please find the details below and let me know if anything is "
         "missing the team is available next week for a workshop").split()
EXTERNAL_DOMAINS = ["client.example", "vendor.example", "partner.example"]
TIME_ZONES = ["America/New_York", "Europe/Berlin", "Asia/Tokyo", "America/Los_Angeles", "UTC"]
MESSAGE_KINDS = ["plain", "alternative", "attachment", "large_attachment", "related", "bounce",
                 "latin1", "cp1252", "shift_jis", "encoded_headers", "awkward_names", "thread",
                 "no_message_id", "shared", "signature", "spam", "trash"]


class _Writer:
    """Builds one user's messages; every choice comes from one seeded ``random.Random``."""

    def __init__(self, rng: random.Random, user: str, peers: list[str], seed: int) -> None:
        self.rng, self.user, self.peers, self.seed = rng, user, peers, seed
        self.domain = user.split("@", 1)[1]
        self.counter = 0

    def person(self, domain: str | None = None) -> tuple[str, str]:
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        local = f"{first}.{last}".lower().replace("'", "").encode("ascii", "ignore").decode()
        return f"{first} {last}", f"{local}@{domain or self.rng.choice(EXTERNAL_DOMAINS)}"

    def text(self, words: int = 40) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(words)).capitalize() + "."

    def message_id(self) -> str:
        self.counter += 1
        return f"<gen.{self.seed}.{self.counter}.{self.rng.getrandbits(32):08x}@{self.domain}>"

    def base(self, when: datetime, subject: str, sender=None, to=None, msgid: bool = True) -> EmailMessage:
        msg = EmailMessage()
        name, address = sender or self.person()
        msg["From"] = Address(name, addr_spec=address)
        msg["To"] = to or self.user
        msg["Subject"] = subject
        msg["Date"] = format_datetime(when)
        if msgid:
            msg["Message-ID"] = self.message_id()
        return msg

    def signature(self, name: str) -> str:
        phone = f"+1 415-555-{self.rng.randint(100, 9999):04d}"
        return f"\n\n--\n{name}\n{self.rng.choice(TITLES)}\n{phone}\n"


def _bytes(msg: Message) -> bytes:
    """CRLF source with boundaries derived from the message itself (the email package would pick
    random ones), so the same seed always yields the same bytes."""
    anchor = hashlib.sha1(f"{msg['Message-ID']}|{msg['Date']}|{msg['Subject']}".encode()).hexdigest()[:16]
    for index, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_gen_{anchor}_{index}")
    return msg.as_bytes(policy=policy.SMTP)


def build_message(w: _Writer, kind: str, when: datetime) -> list[tuple[bytes, list[str]]]:
    """One or more (raw, labelIds) for ``kind``; threads return several."""
    inbox = ["INBOX", "UNREAD"] if w.rng.random() < 0.4 else ["INBOX"]
    topic = w.rng.choice(TOPICS)
    if kind == "plain":
        msg = w.base(when, topic)
        msg.set_content(w.text())
        return [(_bytes(msg), inbox)]
    if kind == "signature":
        sender = w.person()
        msg = w.base(when, f"Re: {topic}", sender=sender)
        msg.set_content(w.text(30) + w.signature(sender[0]))
        return [(_bytes(msg), inbox)]
    if kind == "alternative":
        msg = w.base(when, topic)
        body = w.text()
        msg.set_content(body)
        msg.add_alternative(f"<html><body><p>{body}</p><p><b>Best</b></p></body></html>", subtype="html")
        return [(_bytes(msg), inbox)]
    if kind in ("attachment", "large_attachment"):
        msg = w.base(when, f"{topic} (attached)")
        msg.set_content(w.text())
        size = 40_000 if kind == "large_attachment" else 600
        data = bytes(w.rng.getrandbits(8) for _ in range(256)) * (size // 256)
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=f"{topic}.pdf")
        msg.add_attachment("id,amount\n1,100\n2,250\n", subtype="csv", filename="totals.csv")
        return [(_bytes(msg), inbox)]
    if kind == "related":
        msg = w.base(when, f"{topic} newsletter")
        msg.set_content(w.text())
        msg.add_alternative('<html><body><img src="cid:logo@gen"><p>' + w.text() + "</p></body></html>",
                            subtype="html")
        html_part = msg.get_payload()[1]
        html_part.add_related(b"\x89PNG\r\n\x1a\n" + bytes(range(64)), maintype="image", subtype="png",
                              cid="<logo@gen>", filename="logo.png")
        return [(_bytes(msg), inbox)]
    if kind == "bounce":
        original = w.base(when - timedelta(minutes=5), topic, sender=("Me", w.user),
                          to="nobody@invalid.example")
        original.set_content(w.text(10))
        report = MIMEMultipart("report", report_type="delivery-status")
        report["From"] = "Mail Delivery Subsystem <mailer-daemon@googlemail.com>"
        report["To"] = w.user
        report["Subject"] = "Delivery Status Notification (Failure)"
        report["Date"] = format_datetime(when)
        report["Message-ID"] = w.message_id()
        report.attach(MIMEText("Your message wasn't delivered to nobody@invalid.example.\n", "plain"))
        status = MIMEBase("message", "delivery-status")
        per_message, per_recipient = Message(), Message()
        per_message["Reporting-MTA"] = "dns; googlemail.com"
        per_recipient["Final-Recipient"] = "rfc822; nobody@invalid.example"
        per_recipient["Action"] = "failed"
        per_recipient["Status"] = "5.1.1"
        status.set_payload([per_message, per_recipient])
        report.attach(status)
        report.attach(MIMEMessage(original))
        return [(_bytes(report), inbox)]
    if kind in ("latin1", "cp1252", "shift_jis"):
        texts = {"latin1": ("Réunion à Zürich", "Grüße aus Köln, à bientôt - façade café.", "iso-8859-1"),
                 "cp1252": ("Quote “approved”", "Price: 1 000 € – “final” offer… ‘ok’", "windows-1252"),
                 "shift_jis": ("会議の件", "お世話になっております。来週の会議についてご連絡します。", "shift_jis")}
        subject, body, charset = texts[kind]
        msg = w.base(when, subject)
        msg.set_content(body + "\n" + w.text(8), charset=charset,
                        cte="base64" if charset == "shift_jis" else "quoted-printable")
        return [(_bytes(msg), inbox)]
    if kind == "encoded_headers":
        msg = w.base(when, f"Ünïcödé subject — {topic} ✓", sender=("Zoë Ångström", "zoe@client.example"))
        msg.set_content(w.text())
        return [(_bytes(msg), inbox)]
    if kind == "awkward_names":
        msg = w.base(when, topic, sender=("Doe, Jane", "jane.doe@client.example"))
        msg["Cc"] = [Address('The "Boss" Smith', addr_spec="boss@client.example"),
                     Address("Müller, Hans", addr_spec="hans@partner.example")]
        msg.set_content(w.text())
        return [(_bytes(msg), inbox)]
    if kind == "no_message_id":
        msg = w.base(when, f"{topic} (no id)", msgid=False)
        msg.set_content(w.text())
        return [(_bytes(msg), inbox)]
    if kind == "spam":
        msg = w.base(when, "You have WON a prize!!!", sender=("Lottery", "win@spam.example"))
        msg.set_content("Claim now " + w.text(5))
        return [(_bytes(msg), ["SPAM"])]
    if kind == "trash":
        msg = w.base(when, f"Old: {topic}")
        msg.set_content(w.text())
        return [(_bytes(msg), ["TRASH"])]
    if kind == "thread":
        sender = w.person()
        out, ids = [], []
        for turn in range(w.rng.randint(4, 8)):
            mine = turn % 2 == 1
            msg = w.base(when + timedelta(hours=turn), ("Re: " if turn else "") + topic,
                         sender=("Me", w.user) if mine else sender, to=sender[1] if mine else w.user)
            if ids:
                msg["In-Reply-To"] = ids[-1]
                msg["References"] = " ".join(ids)
            ids.append(msg["Message-ID"])
            msg.set_content(w.text(20) + ("" if mine else w.signature(sender[0])))
            out.append((_bytes(msg), ["SENT"] if mine else ["INBOX"]))
        return out
    raise ValueError(f"unknown kind {kind}")


def _tenants(users: list[str]) -> dict[str, list[str]]:
    tenants: dict[str, list[str]] = {}
    for user in users:
        tenants.setdefault(user.split("@", 1)[1], []).append(user)
    return tenants


def populate(sb, users: list[str], messages_per_user: int = 50, events_per_user: int = 20,
             seed: int = 0) -> dict:
    """Fill ``sb`` with mail and calendars for ``users`` (grouped into tenants by domain)."""
    summary = {"users": [], "messages": 0, "events": 0, "shared": []}
    users = [u.lower() for u in users]
    for members in _tenants(users).values():
        for user in members:
            rng = random.Random(f"{seed}/{user}")
            sb.add_account(user)
            peers = [m for m in members if m != user]
            writer = _Writer(rng, user, peers, seed)
            count = 0
            step = 0
            while count < messages_per_user:
                kind = MESSAGE_KINDS[step] if step < len(MESSAGE_KINDS) else rng.choice(MESSAGE_KINDS)
                step += 1
                when = EPOCH - timedelta(minutes=37 * (messages_per_user - count) + rng.randint(0, 30))
                if kind == "shared":
                    if not peers:
                        continue
                    peer = peers[0]
                    msg = writer.base(when, "Shared: team update", sender=("Me", user), to=peer)
                    msg["Cc"] = user
                    msg.set_content(writer.text())
                    raw = _bytes(msg)
                    sb.import_message(user, raw, ["SENT"])
                    sb.import_message(peer, raw, ["INBOX", "UNREAD"])
                    summary["shared"].append(msg["Message-ID"])
                    summary["messages"] += 2
                    count += 1
                    continue
                for raw, labels in build_message(writer, kind, when)[: messages_per_user - count]:
                    sb.import_message(user, raw, labels)
                    count += 1
                    summary["messages"] += 1
            summary["events"] += populate_calendar(sb, user, rng, events_per_user)
            summary["users"].append(user)
    return summary


# -- calendars ---------------------------------------------------------------------------------
def _attendees(rng: random.Random, user: str, organizer: str) -> list[dict]:
    people = [{"email": organizer, "organizer": True, "responseStatus": "accepted"}]
    if organizer != user:
        people.append({"email": user, "self": True, "responseStatus": rng.choice(
            ["needsAction", "accepted", "tentative", "declined"])})
    for status in ("needsAction", "declined", "tentative", "accepted"):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        local = f"{first}.{last}".lower().replace("'", "").encode("ascii", "ignore").decode()
        people.append({"email": f"{local}@{rng.choice(EXTERNAL_DOMAINS)}",
                       "displayName": f"{first} {last}", "responseStatus": status})
    return people


def _timed(start: datetime, minutes: int, tz: str) -> tuple[dict, dict]:
    local = start.astimezone(ZoneInfo(tz))
    return ({"dateTime": local.isoformat(), "timeZone": tz},
            {"dateTime": (local + timedelta(minutes=minutes)).isoformat(), "timeZone": tz})


def populate_calendar(sb, user: str, rng: random.Random, count: int) -> int:
    shapes = ["timed", "all_day", "multi_day", "weekly", "daily", "monthly", "external", "conference"]
    made = 0
    for n in range(count):
        shape = shapes[n] if n < len(shapes) else rng.choice(shapes)
        tz = TIME_ZONES[n % len(TIME_ZONES)]
        start = (EPOCH + timedelta(days=rng.randint(-20, 40))).replace(hour=rng.choice([8, 10, 14, 16]))
        organizer = user
        event: dict = {"summary": f"{rng.choice(TOPICS)} ({shape})", "description": " ".join(
            rng.choice(WORDS) for _ in range(12)), "location": rng.choice(["Room 4", "Berlin HQ", ""])}
        if shape == "all_day":
            day = start.date()
            event["start"], event["end"] = {"date": day.isoformat()}, {"date": (day + timedelta(days=1)).isoformat()}
        elif shape == "multi_day":
            day = start.date()
            event["start"], event["end"] = {"date": day.isoformat()}, {"date": (day + timedelta(days=3)).isoformat()}
        else:
            event["start"], event["end"] = _timed(start, rng.choice([30, 45, 60]), tz)
        if shape == "weekly":
            event["recurrence"] = ["RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"]
        elif shape == "daily":
            event["recurrence"] = ["RRULE:FREQ=DAILY;INTERVAL=2;COUNT=6"]
        elif shape == "monthly":
            until = (start + timedelta(days=150)).strftime("%Y%m%dT%H%M%SZ")
            event["recurrence"] = [f"RRULE:FREQ=MONTHLY;UNTIL={until}"]
        if shape == "external":
            organizer = f"host@{rng.choice(EXTERNAL_DOMAINS)}"
            event["organizer"] = {"email": organizer, "displayName": "External Host"}
        if shape in ("conference", "external", "weekly"):
            code = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(10))
            link = f"https://meet.google.com/{code[:3]}-{code[3:7]}-{code[7:]}"
            event["hangoutLink"] = link
            event["conferenceData"] = {
                "entryPoints": [{"entryPointType": "video", "uri": link, "label": link[8:]}],
                "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
                "conferenceId": link.rsplit("/", 1)[1],
            }
        event["attendees"] = _attendees(rng, user, organizer)
        created = sb.import_event(user, event)
        made += 1
        if shape == "weekly":
            instances = sb.world.calendar_account(user).calendar("primary").instances(created)
            moved = instances[2]
            new_start, new_end = _timed(datetime.fromisoformat(moved["start"]["dateTime"]) + timedelta(hours=2),
                                        60, created["start"]["timeZone"])
            sb.add_exception(user, created["id"], moved["originalStartTime"],
                             {"start": new_start, "end": new_end, "summary": created["summary"] + " (moved)"})
            sb.add_exception(user, created["id"], instances[4]["originalStartTime"], cancelled=True)
    return made



