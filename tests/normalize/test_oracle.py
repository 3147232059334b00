"""An independent oracle: for every message the sandbox generator writes, the normalized subject,
participants, sent time and body text equal what Python's `email` package (policy `default`)
extracts from the same RFC 2822 source. The raw rows are the sandbox's own `format=full`
resources, staged exactly as the sync stages them; the SQL never sees the RFC 2822 source.
"""

from __future__ import annotations

import email
import email.policy
import uuid
from collections import Counter

import pytest

from sandbox.google import Sandbox
from sandbox.google.mime import b64url_decode
from tests.normalize.helpers import create_connection, dbt, query
from worker.db.connect import connect
from worker.store.staging import RawObject, stage_records

USERS = ["ana@acme.example", "ben@acme.example", "cleo@globex.example"]  # two tenants
MESSAGES_PER_USER = 110
ROLES = (("from", "from"), ("to", "to"), ("cc", "cc"), ("bcc", "bcc"), ("reply_to", "reply-to"))


def _expected(raw: bytes) -> dict:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    participants = []
    seen = set()
    for role, header in ROLES:
        value = msg[header]
        for address in (value.addresses if value is not None else ()):
            key = (role, address.addr_spec.lower())
            if key not in seen:
                seen.add(key)
                participants.append((role, address.addr_spec.lower(), address.display_name or None))
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    return {
        "subject": str(msg["subject"]) if msg["subject"] is not None else None,
        "participants": participants,
        "sent_at": msg["date"].datetime if msg["date"] is not None else None,
        "body_text": plain.get_content().replace("\r\n", "\n") if plain is not None else None,
        "body_html": html.get_content().replace("\r\n", "\n") if html is not None else None,
    }


@pytest.fixture(scope="module")
def generated(make_database, tmp_path_factory):
    url = make_database.create(prefix="nz_oracle")
    sandbox = Sandbox(seed=7)  # in process: nothing listens, nothing is requested over HTTP
    summary = sandbox.generate(USERS, messages=MESSAGES_PER_USER, events=15)
    tenants = {domain: uuid.uuid4() for domain in {u.split("@")[1] for u in USERS}}
    expected = {}
    with connect(url) as conn:
        for user in USERS:
            tenant = tenants[user.split("@")[1]]
            connection_id = create_connection(conn, tenant, user)
            objects = []
            for gmail_id in sandbox.message_ids(user):
                full = sandbox.get_message(user, gmail_id, "full")
                raw = b64url_decode(sandbox.get_message(user, gmail_id, "raw")["raw"])
                objects.append(RawObject(gmail_id, full))
                expected[(connection_id, gmail_id)] = _expected(raw)
            stage_records(conn, connection_id, tenant, "sync_inbox_live", "gmail.message", objects)
            calendar = sandbox.world.calendar_account(user).calendar("primary")
            events = [RawObject(f"primary/{event_id}", sandbox.get_event(user, event_id))
                      for event_id in list(calendar.events)]
            stage_records(conn, connection_id, tenant, "sync_calendar_live", "calendar.event", events)
        conn.commit()
    dbt(url, tmp_path_factory.mktemp("dbt-runs"))
    return {"url": url, "expected": expected, "summary": summary}


def _normalized(url: str) -> dict:
    rows = query(url, """
        select m.connection_id, m.provider_message_id, e.email_id, e.subject, e.sent_at, e.body_text, e.body_html
        from product.email_mailboxes m join product.emails e using (email_id)""")
    participants: dict = {}
    for p in query(url, "select email_id, role, address, display_name from product.email_participants"
                        " order by email_id, array_position(array['from','to','cc','bcc','reply_to'], role), position"):
        participants.setdefault(p["email_id"], []).append((p["role"], p["address"], p["display_name"]))
    return {(r["connection_id"], r["provider_message_id"]): {**r, "participants": participants.get(r["email_id"], [])}
            for r in rows}


def test_generator_covers_hundreds_of_messages_of_every_kind(generated):
    assert len(generated["expected"]) >= 300
    assert generated["summary"]["shared"], "the same message in two mailboxes is part of the sample"
    assert query(generated["url"], "select * from integrations_staging.normalize_quarantine") == []


def test_every_generated_message_is_normalized_like_python_email_reads_it(generated):
    normalized = _normalized(generated["url"])
    assert set(normalized) == set(generated["expected"])
    mismatches = Counter()
    examples = {}
    for key, want in generated["expected"].items():
        got = normalized[key]
        checks = {
            "subject": got["subject"] == want["subject"],
            "participants": got["participants"] == want["participants"],
            "sent_at": got["sent_at"] == want["sent_at"],
            "body_text": (got["body_text"] == want["body_text"]) if want["body_text"] is not None
                         else bool(got["body_text"]),
            "body_html": got["body_html"] == want["body_html"],
        }
        for name, ok in checks.items():
            if not ok:
                mismatches[name] += 1
                examples.setdefault(name, (key, got.get(name), want.get(name)))
    assert not mismatches, f"{dict(mismatches)}; first of each: {examples}"
    # the sample really holds the awkward cases
    wanted = list(generated["expected"].values())
    assert any(w["subject"] and not w["subject"].isascii() for w in wanted)
    assert any(name and "," in name for w in wanted for _, _, name in w["participants"])
    assert any(name and '"' in name for w in wanted for _, _, name in w["participants"])
    assert any(w["body_text"] and "会議" in w["body_text"] for w in wanted)
    assert sum(1 for w in wanted if w["body_text"]) > 250


def test_shared_message_is_one_email_held_by_two_mailboxes(generated):
    rows = query(generated["url"], """
        select e.message_id_header, count(*) as mailboxes from product.emails e
        join product.email_mailboxes m using (email_id) group by 1 having count(*) > 1""")
    shared = {r["message_id_header"] for r in rows}
    assert set(generated["summary"]["shared"]) <= shared


def test_generated_calendars_become_meetings_with_series_and_all_day_events(generated):
    meetings = query(generated["url"], "select * from product.meetings")
    assert meetings
    assert any(m["is_all_day"] for m in meetings)
    assert any(m["recurrence_rule"] for m in meetings)
    instances = [m for m in meetings if m["recurring_meeting_id"] is not None]
    ids = {m["meeting_id"] for m in meetings}
    assert instances and all(m["recurring_meeting_id"] in ids for m in instances), "instances link to their series"
    assert any(m["status"] == "cancelled" for m in instances)
    assert query(generated["url"], "select count(*) as n from product.meeting_attendees")[0]["n"] > 0
