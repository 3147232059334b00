"""Property: hostile provider payloads mixed into a page of good ones never block the good ones.

Hypothesis builds pages of good Gmail messages (format=full, as Gmail returns them) with hostile
ones shuffled in: NUL bytes and lone surrogates in headers, invalid UTF-8 and unknown charsets in
bodies, missing and mistyped fields, huge headers, MIME trees deeper than the parser walks, and
outsiders' copies carrying a tenant's Message-ID. Each page goes through the real stager (the
provider's JSON text, escapes and all) and a real dbt build. Invariant 2: the page is staged, the
build succeeds, every good message reaches product.* unchanged, and every hostile one is accounted
for: normalized, quarantined with a reason, or an open item failure — never silently gone.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import random
import uuid

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.normalize.gmail_payloads import gmail_full
from tests.normalize.helpers import create_connection, dbt, make_message, query
from worker.db.connect import connect
from worker.store.staging import ProviderJson, RawObject, stage_records

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "3"))
HOSTILE_TEXT = ["\x00", "a\x00b", "\ud800", "x\udfffy", "\ufffe", "\x1b$B", "=?x-unknown?Q?zz?=", "H" * 120_000]
BAD_CHARSETS = ["utf-8", "x-unknown-charset", "iso-2022-jp", "utf-16", "", "us-ascii"]
ODD_VALUES = [None, 42, 1.5, True, "text", [], {}, [1, 2], {"a": None}]
FIELDS = ["payload", "payload.headers", "payload.parts", "payload.body", "payload.mimeType", "labelIds",
          "internalDate", "threadId", "payload.body.data"]


def _good(n: int, tenant_tag: str) -> tuple[str, dict, str]:
    gmail_id = f"good{n:03d}{tenant_tag}"
    subject = f"Good message {n} {tenant_tag}"
    raw = make_message(subject=subject, body=f"body {n}\n", message_id=f"<{gmail_id}@example.com>")
    return gmail_id, gmail_full(raw, message_id=gmail_id), subject


def _set(payload: dict, dotted: str, value, *, delete: bool = False) -> None:
    *parents, last = dotted.split(".")
    node = payload
    for key in parents:
        node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return
    if delete:
        node.pop(last, None)
    else:
        node[last] = value


def _deep(depth: int, gmail_id: str) -> dict:
    part = {"partId": "x", "mimeType": "text/plain", "filename": "", "headers": [],
            "body": {"size": 4, "data": base64.urlsafe_b64encode(b"deep").decode()}}
    for _ in range(depth):
        part = {"partId": "", "mimeType": "multipart/mixed", "filename": "", "headers": [], "body": {"size": 0},
                "parts": [part]}
    part["headers"] = [{"name": "Subject", "value": "deep"}, {"name": "From", "value": "deep@example.com"},
                       {"name": "Message-ID", "value": f"<{gmail_id}@example.com>"}]
    return {"id": gmail_id, "threadId": gmail_id, "labelIds": ["INBOX"], "historyId": "1", "snippet": "",
            "internalDate": "1700000000000", "payload": part}


@st.composite
def hostile(draw, base: dict, gmail_id: str, goods: list[tuple[str, dict, str]]) -> dict:
    """One hostile variant of a message, built from a good one."""
    payload = copy.deepcopy(base)
    payload["id"] = payload["threadId"] = gmail_id
    kind = draw(st.sampled_from(["header", "body", "mistyped", "missing", "deep", "spoof"]))
    headers = payload["payload"]["headers"]
    for header in headers:  # a message of its own; only "spoof" (and a hostile Message-ID) reuse one
        if header["name"].lower() == "message-id":
            header["value"] = f"<{gmail_id}@example.com>"
    if kind == "header":
        name = draw(st.sampled_from(["Subject", "From", "Date", "Message-ID", "To"]))
        value = draw(st.sampled_from(HOSTILE_TEXT)) + draw(st.text(max_size=20))
        for header in headers:
            if header["name"].lower() == name.lower():
                header["value"] = value
    elif kind == "body":
        data = draw(st.binary(min_size=1, max_size=200)) + b"\xff\xfe\xc3("
        charset = draw(st.sampled_from(BAD_CHARSETS))
        payload["payload"]["body"] = {"size": len(data), "data": base64.urlsafe_b64encode(data).decode()}
        payload["payload"]["headers"] = [h for h in headers if h["name"].lower() != "content-type"] + [
            {"name": "Content-Type", "value": f'text/plain; charset="{charset}"'}]
    elif kind == "mistyped":
        _set(payload, draw(st.sampled_from(FIELDS)), draw(st.sampled_from(ODD_VALUES)))
    elif kind == "missing":
        _set(payload, draw(st.sampled_from(FIELDS)), None, delete=True)
    elif kind == "deep":
        payload = _deep(draw(st.integers(min_value=25, max_value=60)), gmail_id)
    else:  # an outsider's copy of a tenant's message: same Message-ID, another sender and subject
        victim = draw(st.sampled_from(goods))[1]
        for header in headers:
            if header["name"].lower() == "message-id":
                header["value"] = next(h["value"] for h in victim["payload"]["headers"]
                                       if h["name"].lower() == "message-id")
            if header["name"].lower() == "from":
                header["value"] = "Mallory <mallory@outsider.example>"
            if header["name"].lower() == "subject":
                header["value"] = "rewritten by an outsider"
    return payload


def _wire(payload: dict) -> ProviderJson:
    """As a provider sends it: JSON text with \\u escapes for control characters and surrogates."""
    return ProviderJson(payload, json.dumps(payload))


@pytest.fixture(scope="module")
def hostile_db(make_database, tmp_path_factory):
    return make_database.create(prefix="hostile"), tmp_path_factory.mktemp("dbt-runs")


# each example is a staging and a dbt build (seconds): generate only, no shrinking (it would take
# minutes); a failure prints the drawn page, and `--hypothesis-seed` replays it
@settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          print_blob=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_hostile_items_never_block_good_ones_and_are_never_silently_lost(hostile_db, data):
    url, runs = hostile_db
    tag = uuid.uuid4().hex[:6]
    goods = [_good(n, tag) for n in range(data.draw(st.integers(min_value=3, max_value=8)))]
    count = data.draw(st.integers(min_value=2, max_value=10))
    bad = {}
    for n in range(count):
        gmail_id = f"bad{n:03d}{tag}"
        bad[gmail_id] = data.draw(hostile(goods[n % len(goods)][1], gmail_id, goods))
    page = [RawObject(g, _wire(p)) for g, p, _ in goods] + [RawObject(g, _wire(p)) for g, p in bad.items()]
    random.Random(tag).shuffle(page)

    with connect(url) as conn:
        tenant = uuid.uuid4()
        connection_id = create_connection(conn, tenant, f"{tag}@acme.example")
        conn.commit()
        stage_records(conn, connection_id, tenant, "sync_inbox_live", "gmail.message", page)
        conn.commit()
    dbt(url, runs)  # asserts the build succeeded

    mailboxes = {r["provider_message_id"]: r for r in query(url, """
        select m.provider_message_id, e.subject, e.from_address from product.email_mailboxes m
        join product.emails e using (email_id) where m.connection_id = %s""", (connection_id,))}
    for gmail_id, _, subject in goods:
        assert gmail_id in mailboxes, f"good message {gmail_id} did not reach product.email_mailboxes"
        assert mailboxes[gmail_id]["subject"] == subject  # an outsider's copy never rewrites it
    quarantined = {r["external_id"]: r["reason"] for r in query(url, """
        select external_id, reason from integrations_staging.normalize_quarantine
        where connection_id = %s""", (connection_id,))}
    failures = {r["external_id"] for r in query(url, """
        select external_id from integrations.item_failures
        where connection_id = %s and resolved_at is null""", (connection_id,))}
    for gmail_id in bad:
        accounted = gmail_id in mailboxes or gmail_id in quarantined or gmail_id in failures
        assert accounted, f"hostile message {gmail_id} vanished: {json.dumps(bad[gmail_id])[:400]}"
        if gmail_id in quarantined:
            assert quarantined[gmail_id], "a quarantined record carries its reason"
