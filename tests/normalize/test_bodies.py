"""Bodies every mail client shows must reach product.emails.body_text exactly as Python's `email`
package reads them (`EmailMessage.get_body()`, policy `default`): a text part marked inline but
carrying a filename (Gmail gives it an attachmentId, so the sync must fetch it), ISO-2022-JP
bodies, and deep MIME trees (walked, or quarantined with a reason when too deep)."""

from __future__ import annotations

import email
import email.policy
import uuid
from email.message import EmailMessage

import pytest

from tests.gmail.conftest import Mailbox, gsb  # noqa: F401  (gsb: the fixture, imported to be used here)
from tests.normalize.gmail_payloads import gmail_full
from tests.normalize.helpers import create_connection, dbt, query, stage_gmail
from worker.db.connect import connect
from worker.normalize import run_dbt
from worker.providers.google.capabilities import GMAIL_READONLY


def python_body(raw: bytes) -> str | None:
    """The oracle: the plain-text body as Python's email package picks and decodes it."""
    part = email.message_from_bytes(raw, policy=email.policy.default).get_body(("plain",))
    return part.get_content().replace("\r\n", "\n") if part is not None else None


def inline_text_with_filename() -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "ext@x.example", "inline@tenant.example", "Inline note"
    msg["Message-ID"] = "<inline-note@x.example>"
    msg.set_content("The body is this note, café ✓\n", disposition="inline", filename="note.txt")
    return msg.as_bytes()


@pytest.mark.asyncio
async def test_a_text_part_inline_with_a_filename_is_fetched_and_becomes_the_body(gsb, make_database):  # noqa: F811
    url = make_database.create()
    box = Mailbox(gsb, url, "inline@tenant.example", {"sync_inbox_live": None}, [GMAIL_READONLY])
    raw = inline_text_with_filename()
    message_id = gsb.import_message(box.email, raw, ["INBOX"])["id"]
    assert "attachmentId" in str(gsb.get_message(box.email, message_id, "full")["payload"]["body"])

    await box.run_live()
    output: list[str] = []
    assert await run_dbt(url, on_line=output.append) == 0, "\n".join(output[-30:])

    with connect(url) as conn:
        body = conn.execute("select body_text from product.emails where message_id_header = %s",
                            ("<inline-note@x.example>",)).fetchone()["body_text"]
    assert body == python_body(raw) == "The body is this note, café ✓\n"


def iso_2022_jp_message() -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "tanaka@example.jp", "me@acme.com", "会議の件"
    msg["Message-ID"] = "<jis@example.jp>"
    msg.set_content("田中です。\n明日の会議は１０時からです。(ASCII in between)\nよろしくお願いします。\n",
                    charset="iso-2022-jp", cte="7bit")
    return msg.as_bytes()


def nested_message(depth: int, message_id: str) -> bytes:
    """A text/plain body under `depth` levels of multipart/mixed."""
    inner = EmailMessage()
    inner.set_content(f"found at depth {depth}\n")
    for _ in range(depth):
        outer = EmailMessage()
        outer.make_mixed()
        outer.attach(inner)
        inner = outer
    inner["From"], inner["To"], inner["Subject"] = "deep@x.example", "me@acme.com", f"Depth {depth}"
    inner["Message-ID"] = message_id
    inner["Date"] = "Mon, 15 Jan 2024 10:00:00 +0000"
    return inner.as_bytes()


@pytest.fixture(scope="module")
def staged(make_database, tmp_path_factory):
    url = make_database.create(prefix="nz_bodies")
    tenant = uuid.uuid4()
    sources = {"jis": iso_2022_jp_message(), "deep-40": nested_message(40, "<deep-40@x.example>"),
               "deep-120": nested_message(120, "<deep-120@x.example>")}
    with connect(url) as conn:
        connection_id = create_connection(conn, tenant, "me@acme.com")
        stage_gmail(conn, connection_id, tenant, {
            gmail_id: gmail_full(raw, message_id=gmail_id) for gmail_id, raw in sources.items()})
        conn.commit()
    dbt(url, tmp_path_factory.mktemp("dbt-runs"))
    return {"url": url, "sources": sources}


def test_an_iso_2022_jp_body_is_decoded_like_python_decodes_it(staged):
    rows = query(staged["url"], "select subject, body_text from product.emails where message_id_header = '<jis@example.jp>'")
    want = python_body(staged["sources"]["jis"])
    assert "会議は１０時" in want
    assert rows == [{"subject": "会議の件", "body_text": want}]


def test_a_body_forty_mime_levels_deep_is_found_like_python_finds_it(staged):
    rows = query(staged["url"], "select body_text from product.emails where message_id_header = '<deep-40@x.example>'")
    assert rows == [{"body_text": python_body(staged["sources"]["deep-40"])}]
    assert rows[0]["body_text"] == "found at depth 40\n"


def test_a_mime_tree_too_deep_to_walk_is_quarantined_with_its_reason(staged):
    reasons = query(staged["url"], "select external_id, reason from integrations_staging.normalize_quarantine")
    assert reasons == [{"external_id": "deep-120", "reason": "MIME tree deeper than 100 levels"}]
    assert query(staged["url"], "select count(*) as n from product.emails"
                                " where message_id_header = '<deep-120@x.example>'") == [{"n": 0}]
