"""Invariant 2: one bad item never blocks the others — it is staged as-is (made storable, and
marked as sanitised), or recorded as an item failure that `status` shows; the page and the
cursor go on.

Hostile payloads: JSON text PostgreSQL's jsonb refuses (a `\\u0000` escape, lone surrogate
escapes, a number beyond `numeric`), raw surrogates and NULs in a serialized dict.
"""

import json
import uuid

import pytest

from tests.gmail.conftest import Mailbox, google_sandbox, gsb  # noqa: F401 - fixtures
from tests.gmail.test_poison_messages import POISON, subject
from worker.db.connect import connect
from worker.providers.google.capabilities import GMAIL_READONLY
from worker.status import collect_status
from worker.store.staging import ProviderJson, RawObject, stage_records

pytestmark = pytest.mark.asyncio


def provider(text: str) -> ProviderJson:
    """A payload as the HTTP client builds it: the parsed object and the provider's exact text."""
    return ProviderJson(json.loads(text), text)


HOSTILE = {
    "nul": (provider('{"id":"nul","snippet":"a\\u0000b"}'), "\\u0000 escaped", {"id": "nul", "snippet": "a\\u0000b"}),
    "high": (provider('{"id":"high","snippet":"x\\ud83dy"}'), "lone surrogate escaped",
             {"id": "high", "snippet": "x\\ud83dy"}),
    "low": (provider('{"id":"low","snippet":"\\ude00"}'), "lone surrogate escaped", {"id": "low", "snippet": "\\ude00"}),
    "pair": (provider('{"id":"pair","snippet":"\\ud83d\\ude00"}'), None, {"id": "pair", "snippet": "\U0001F600"}),
    "escaped": (provider('{"id":"escaped","snippet":"\\\\u0000"}'), None, {"id": "escaped", "snippet": "\\u0000"}),
    "rawdict": ({"id": "rawdict", "snippet": "n\x00l \udcff"}, "\\u0000 escaped; lone surrogate escaped",
                {"id": "rawdict", "snippet": "n\\u0000l \\udcff"}),
}


async def test_hostile_payloads_in_a_page_are_stored_sanitised_or_recorded_as_item_failures(gsb, make_database):  # noqa: F811
    url = make_database.create()
    box = Mailbox(gsb, url, "ana@tenant.example", {"sync_inbox_live": None}, [GMAIL_READONLY])
    good = [RawObject(f"good{i}", {"id": f"good{i}", "snippet": "fine"}) for i in range(3)]
    hostile = [RawObject(key, payload) for key, (payload, _, _) in HOSTILE.items()]
    overflow = RawObject("overflow", provider('{"id":"overflow","sizeEstimate":1e999999}'))
    page = good[:1] + hostile[:3] + [overflow] + hostile[3:] + good[1:]

    with connect(url) as conn:
        staged = stage_records(conn, box.id, box.tenant_id, "sync_inbox_live", "gmail.message", page)
        conn.commit()
        rows = {r["external_id"]: r for r in conn.execute(
            "select external_id, payload, sanitized from integrations.raw_records where connection_id = %s",
            (box.id,)).fetchall()}
        heads = {r["external_id"] for r in conn.execute(
            "select external_id from integrations.raw_heads where connection_id = %s", (box.id,)).fetchall()}
        failures = conn.execute("select external_id, last_error, resolved_at from integrations.item_failures"
                                " where connection_id = %s", (box.id,)).fetchall()
        [entry] = collect_status(conn, box.id)

    assert staged == 3 + len(HOSTILE)
    assert set(rows) == heads == {o.external_id for o in good} | set(HOSTILE)
    for key, (_, note, stored) in HOSTILE.items():
        assert (rows[key]["payload"], rows[key]["sanitized"]) == (stored, note), key
    assert [(f["external_id"], f["resolved_at"]) for f in failures] == [("overflow", None)]
    assert "value overflows numeric format" in failures[0]["last_error"]
    live = next(c for c in entry["capabilities"] if c["capability"] == "sync_inbox_live" and not c["stream"])
    assert live["item_failures"] == 1


async def test_a_poison_message_among_good_ones_never_stops_the_live_sync(gsb, make_database):  # noqa: F811
    box = Mailbox(gsb, make_database.create(), f"{uuid.uuid4().hex[:8]}@tenant.example", {"sync_inbox_live": None},
                  [GMAIL_READONLY])
    good = [box.add(f"good {i}") for i in range(4)]
    poison = box.sandbox.import_message(box.email, POISON % 3, ["INBOX"])["id"]
    more = [box.add(f"good {i}") for i in range(4, 6)]

    await box.run_live()

    heads = box.heads()
    assert set(heads) == set(good + more + [poison])
    assert subject(heads[poison]["payload"]) == "bad\\u0000news"
    assert box.state()["cursor"] == {"historyId": str(box.sandbox.history_id(box.email))}
    assert box.state()["status"] == "ok"
