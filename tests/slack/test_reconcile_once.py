"""Slack reconcile (a window of each channel against staged and normalized) and the manual sync."""

import time

import pytest

from tests.slack.conftest import drain
from worker.api import reconcile, sync_once
from worker.providers.slack.channels.messages import ts_of

pytestmark = pytest.mark.asyncio


def ago(hours: float) -> str:
    return ts_of(time.time() - hours * 3600)


async def test_reconcile_finds_what_the_window_missed_and_repair_fixes_it(workspace, ssb):
    ws = workspace(capabilities={"sync_channels_live": {"lookback_hours": 1, "reconcile_days": 10}})
    ana = ws.user("ana")
    general = ws.channel("general")
    old = ws.say(general, "old, deleted later", ana, ts=ago(48))
    kept = ws.say(general, "old, kept", ana, ts=ago(47))
    await ws.run_live()
    ssb.delete_message(ws.team, general, old)  # outside the live window
    late = ws.say(general, "imported late", ana, ts=ago(30))  # appears in history the window never reads

    [result] = await reconcile(ws.url, ws.id, "sync_channels_live")
    assert result["extra"] == [f"{general}:{old}"] and result["missing"] == [f"{general}:{late}"]
    [repaired] = await reconcile(ws.url, ws.id, "sync_channels_live", repair=True)
    assert repaired["repaired"] == 2 and repaired["missing_count"] == 0 and repaired["extra_count"] == 0
    heads = ws.heads()
    assert heads[f"{general}:{old}"]["is_deleted"] and not heads[f"{general}:{kept}"]["is_deleted"]
    assert heads[f"{general}:{late}"]["payload"]["text"] == "imported late"


async def test_a_manual_sync_reads_the_chosen_channel_and_window_with_threads(workspace, ssb):
    ws = workspace()
    ana, bob = ws.user("ana"), ws.user("bob")
    general, sales = ws.channel("general"), ws.channel("sales")
    inside = ws.say(general, "inside", ana, ts=ago(30))
    ws.say(general, "reply", bob, thread_ts=inside, ts=ago(29))
    ws.say(general, "too old", ana, ts=ago(80))
    ws.say(sales, "other channel", ana, ts=ago(30))
    oldest = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 48 * 3600))
    queued = await sync_once(ws.url, ws.id, "sync_channels_once", {"channels": [general], "oldest": oldest})
    await drain(ws.url)
    texts = sorted(m["text"] for m in ws.live().values())
    assert texts == ["inside", "reply"]
    state = ws.states("sync_channels_once")[f"run:{queued['run_id']}"]
    assert state["cursor"]["done"] and state["cursor"]["listed"] == 1
    assert "slack.user" and ws.live("slack.user").keys() >= {ana, bob}


async def test_manual_sync_parameters_are_checked(workspace):
    from worker.errors import BadInput

    ws = workspace()
    with pytest.raises(BadInput, match="invalid parameters"):
        await sync_once(ws.url, ws.id, "sync_channels_once", {"oldest": "last tuesday"})
