"""A text part too large for format=full (Gmail gives an attachmentId instead of data) is fetched
with attachments.get, staged beside its message, and normalized into the email's body."""

from email.message import EmailMessage

import pytest

from tests.gmail.conftest import Mailbox
from worker.db.connect import connect
from worker.normalize import run_dbt
from worker.providers.google.capabilities import GMAIL_READONLY

pytestmark = pytest.mark.asyncio


async def test_large_text_body_is_fetched_staged_and_normalized(gsb, make_database):
    url = make_database.create()
    box = Mailbox(gsb, url, "big@tenant.example", {"sync_inbox_live": None}, [GMAIL_READONLY])
    text = "\n".join(f"line {n}: the quarterly numbers are attached below, café ✓" for n in range(400))
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "ext@x.example", box.email, "Big body"
    msg["Message-ID"] = "<big-body@x.example>"
    msg.set_content(text)
    message_id = gsb.import_message(box.email, msg.as_bytes(), ["INBOX"])["id"]
    payload = gsb.get_message(box.email, message_id, "full")
    assert "attachmentId" in str(payload["payload"]) and len(text.encode()) > 8192  # not inlined

    await box.run_live()
    with connect(url) as conn:
        kinds = {r["resource_type"]: r["n"] for r in conn.execute(
            "select resource_type, count(*) as n from integrations.raw_records group by 1").fetchall()}
    assert kinds == {"gmail.message": 1, "gmail.body": 1}
    assert gsb.count_requests(method_id="gmail.users.messages.attachments.get") == 1

    output: list[str] = []
    assert await run_dbt(url, on_line=output.append) == 0, "\n".join(output[-30:])
    with connect(url) as conn:
        body = conn.execute("select body_text from product.emails where message_id_header = %s",
                            ("<big-body@x.example>",)).fetchone()["body_text"]
    assert body.strip() == text.strip()
