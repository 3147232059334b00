"""The re-read window tombstones a reply only when its thread was re-read.

In a channel quiet for longer than the lookback, the window (the newest message seen minus
`lookback_hours`) still reaches back to replies whose thread is no longer followed (its latest
reply is older than now minus the lookback). `conversations.history` never lists replies, so such
a reply is absent from the re-read although it is alive at Slack: it must stay live.

The channel's first (full) read happens "three hours ago": the live module's clock is shifted for
that one run, so its cursor is what a read of three hours ago left (`lastTs` = its start) and the
channel has been quiet since.
"""

import time
from types import SimpleNamespace

import pytest

import worker.providers.slack.channels.live as live_module
from worker.providers.slack.channels.messages import ts_of

pytestmark = pytest.mark.asyncio
HOUR = 3600


def ago(hours: float) -> str:
    return ts_of(time.time() - hours * 3600)


async def test_a_reply_inside_the_window_whose_thread_expired_is_never_tombstoned(workspace, ssb):
    ws = workspace(capabilities={"sync_channels_live": {"lookback_hours": 1}})
    ana, bob = ws.user("ana"), ws.user("bob")
    general = ws.channel("general")
    parent = ws.say(general, "question from last week?", ana, ts=ago(10))  # before the window
    reply = ws.say(general, "still the answer", bob, thread_ts=parent, ts=ago(3.5))  # inside it
    last = ws.say(general, "then silence", ana, ts=ago(3.2))
    with pytest.MonkeyPatch.context() as mp:  # the full read ran three hours ago
        mp.setattr(live_module, "time", SimpleNamespace(time=lambda: time.time() - 3 * HOUR))
        await ws.run_live()
    assert {f"{general}:{m}" for m in (parent, reply, last)} <= set(ws.live())
    last_ts = float(ws.states()[general]["cursor"]["lastTs"])
    assert time.time() - 3.1 * HOUR < last_ts < time.time() - 2.9 * HOUR  # the window is [-4 h, now]

    await ws.run_live()  # re-reads the thread one last time: its latest reply is older than an hour
    assert parent not in (ws.states()[general]["cursor"].get("threads") or {})
    await ws.run_live()  # the window still holds the reply; its thread is no longer re-read

    heads = ws.heads()
    assert not heads[f"{general}:{reply}"]["is_deleted"]
    assert heads[f"{general}:{reply}"]["payload"]["text"] == "still the answer"
    assert not heads[f"{general}:{last}"]["is_deleted"] and not heads[f"{general}:{parent}"]["is_deleted"]
    assert ws.states()[general]["status"] == "ok"
    assert ssb.count_requests(provider="slack", method_id="conversations.replies") >= 1  # the full read


async def test_a_reply_deleted_inside_a_reread_thread_is_still_tombstoned(workspace, ssb):
    """The other side of the condition: a followed thread's reply missing from its re-read is gone."""
    ws = workspace(capabilities={"sync_channels_live": {"lookback_hours": 1}})
    ana, bob = ws.user("ana"), ws.user("bob")
    general = ws.channel("general")
    parent = ws.say(general, "still open?", ana, ts=ago(10))
    ws.say(general, "yes", bob, thread_ts=parent, ts=ago(0.5))  # a recent reply: the thread is followed
    gone = ws.say(general, "typo", bob, thread_ts=parent, ts=ago(0.4))
    await ws.run_live()
    assert parent in (ws.states()[general]["cursor"].get("threads") or {})

    ssb.delete_message(ws.team, general, gone)
    await ws.run_live()
    assert ws.heads()[f"{general}:{gone}"]["is_deleted"]
