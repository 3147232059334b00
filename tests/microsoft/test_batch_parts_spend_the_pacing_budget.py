"""Each `$batch` part counts against the mailbox's pacing budget, as Graph evaluates each part
against its limits: a batch of 20 spends 20 units, the envelope none, and a part sent again after
a 429 spends again. Counted as one unit a batch, a mail sync would send 20 times the budget and
learn of it only through 429s (which are merely retried)."""

from __future__ import annotations

import pytest

from tests.microsoft.conftest import graph_message
from tests.microsoft.graph_on_the_sandbox import RecordingPacer, graph_client
from worker.providers.microsoft.mail.api import MailApi

pytestmark = pytest.mark.asyncio
USER = "pacing@tenant.example"


async def test_every_batch_part_spends_one_unit_of_the_budget(microsoft_sandbox):
    ids = [microsoft_sandbox.import_message(USER, graph_message(f"n{i}", to=USER))["id"] for i in range(25)]
    pacer = RecordingPacer()
    async with graph_client(microsoft_sandbox, USER, pacer) as client:
        fetched = await MailApi(client).messages(ids)

    assert sorted(m["subject"] for m in fetched.values()) == sorted(f"n{i}" for i in range(25))
    assert pacer.spent == [20, 5]  # two $batch calls (20 parts at most each), one unit per part
    parts = microsoft_sandbox.count_requests(provider="microsoft", in_batch=True)
    assert sum(pacer.spent) == parts == 25  # what was paced is what reached Graph
    assert microsoft_sandbox.count_requests(provider="microsoft", method_id="batch") == 2


async def test_parts_sent_again_after_a_429_spend_again(microsoft_sandbox):
    ids = [microsoft_sandbox.import_message(USER, graph_message(f"t{i}", to=USER))["id"] for i in range(6)]
    microsoft_sandbox.add_fault(r"/v1\.0/me/messages/", status=429, count=2, retry_after=0)  # two parts throttled
    pacer = RecordingPacer()
    async with graph_client(microsoft_sandbox, USER, pacer) as client:
        fetched = await MailApi(client).messages(ids)

    assert all(isinstance(m, dict) and m.get("subject") for m in fetched.values())
    assert pacer.spent == [6, 2]  # the whole batch, then the two throttled parts alone
    assert sum(pacer.spent) == microsoft_sandbox.count_requests(provider="microsoft", in_batch=True) == 8
    assert pacer.penalties  # the 429 held the budget back too
