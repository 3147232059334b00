"""Reconcile for Twilio: a message deleted at Twilio becomes a tombstone; calls likewise."""

import pytest

from tests.twilio.conftest import ago

pytestmark = pytest.mark.asyncio


async def test_a_message_deleted_at_twilio_is_extra_until_repair_stages_its_tombstone(twilio, tsb):
    account = twilio()
    kept = account.text("kept", sent=ago(tsb, hours=1))
    gone = account.text("deleted by the owner", sent=ago(tsb, hours=2))
    await account.run_live()
    tsb.delete_message(account.sid, gone["sid"])
    await account.run_live()  # the window no longer lists it: nothing tells the sync it is gone
    assert not account.heads()[gone["sid"]]["is_deleted"]

    found = await account.reconcile()
    assert found["provider"] == 1 and found["staged"] == 2 and found["extra"] == [gone["sid"]]
    assert found["missing"] == [] and found["differences"] == 1

    repaired = await account.reconcile(repair=True)
    assert repaired["repaired"] == 1 and repaired["extra"] == []
    heads = account.heads()
    assert heads[gone["sid"]]["is_deleted"] and not heads[kept["sid"]]["is_deleted"]
    assert (await account.reconcile())["differences"] == 0
    assert account.state()["reconcile"]["differences"] == 0  # stored where `status` shows it


async def test_repair_stages_a_message_the_sync_missed(twilio, tsb):
    account = twilio({"sync_sms_live": {"overlap_minutes": 1}})
    account.text("newest", sent=ago(tsb, minutes=1))
    await account.run_live()
    late = account.text("arrived late with an old date", sent=ago(tsb, days=2))  # behind the window
    await account.run_live()
    assert late["sid"] not in account.heads()
    found = await account.reconcile(repair=True)
    assert found["repaired"] == 1 and found["missing"] == []
    assert account.heads()[late["sid"]]["payload"] == late


async def test_reconcile_keeps_to_the_backfill_scope(twilio, tsb):
    account = twilio({"sync_sms_live": {"backfill_days": 7}})
    account.text("in scope", sent=ago(tsb, days=1))
    account.text("older than the backfill", sent=ago(tsb, days=20))
    await account.run_live()
    result = await account.reconcile(repair=True)
    assert result["provider"] == 1 and result["differences"] == 0 and result["repaired"] == 0


async def test_a_call_deleted_at_twilio_becomes_a_tombstone(twilio, tsb):
    account = twilio()
    call = account.call(start=ago(tsb, hours=1))
    other = account.call(start=ago(tsb, hours=3))
    await account.run_live("sync_calls_live")
    tsb.delete_call(account.sid, call["sid"])
    result = await account.reconcile("sync_calls_live", repair=True)
    assert result["extra"] == [] and result["repaired"] == 1
    heads = account.heads("twilio.call")
    assert heads[call["sid"]]["is_deleted"] and not heads[other["sid"]]["is_deleted"]
