"""A message whose JSON PostgreSQL's jsonb refuses (a NUL byte in its Subject) never stops a mailbox:
it is staged with the offending escape made visible, and recorded as sanitised; the rest of its
page is staged and the cursor moves on (invariant 2)."""

import pytest

from worker.db.connect import connect

pytestmark = pytest.mark.asyncio

POISON = (b"From: bob@ext.example\r\nTo: ana@tenant.example\r\nSubject: bad\x00news\r\n"
          b"Message-ID: <poison-%d@ext.example>\r\n\r\nhello\r\n")


def subject(payload: dict) -> str:
    return next(h["value"] for h in payload["payload"]["headers"] if h["name"] == "Subject")


def sanitized(box) -> dict[str, str]:
    with connect(box.url) as conn:
        rows = conn.execute("select external_id, sanitized from integrations.raw_records"
                            " where connection_id = %s and sanitized is not null", (box.id,)).fetchall()
    return {r["external_id"]: r["sanitized"] for r in rows}


async def test_a_nul_byte_in_a_subject_is_staged_escaped_while_the_page_and_the_cursor_go_on(mailbox):
    box = mailbox()
    before = [box.add(f"good {i}") for i in range(3)]
    poison = box.sandbox.import_message(box.email, POISON % 1, ["INBOX"])["id"]
    after = [box.add(f"good {i}") for i in range(3, 6)]

    await box.run_live()

    heads = box.heads()
    assert set(heads) == set(before + after + [poison])
    assert subject(heads[poison]["payload"]) == "bad\\u0000news"  # the NUL, visible as its escape
    assert sanitized(box) == {poison: "\\u0000 escaped"}
    state = box.state()
    assert state["status"] == "ok" and state["last_error"] is None
    assert state["cursor"] == {"historyId": str(box.sandbox.history_id(box.email))}


async def test_a_poison_message_arriving_by_history_does_not_stop_the_incremental_sync(mailbox):
    box = mailbox()
    first = box.add("first")
    await box.run_live()
    poison = box.sandbox.import_message(box.email, POISON % 2, ["INBOX"])["id"]
    late = box.add("late")

    await box.run_live()

    heads = box.heads()
    assert set(heads) == {first, poison, late}
    assert subject(heads[poison]["payload"]) == "bad\\u0000news"
    assert box.state()["cursor"] == {"historyId": str(box.sandbox.history_id(box.email))}
    assert box.state()["status"] == "ok"
