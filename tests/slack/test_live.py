"""`sync_channels_live`: full history with threads, then a re-read window for edits, deletions, late replies."""

import time

import pytest

from worker.providers.slack.channels.messages import ts_of

pytestmark = pytest.mark.asyncio


def ago(hours: float) -> str:
    return ts_of(time.time() - hours * 3600)


async def test_first_run_stages_history_threads_users_and_channels(workspace):
    ws = workspace()
    ana, bob = ws.user("ana"), ws.user("bob")
    general = ws.channel("general")
    parent = ws.say(general, "Kickoff <@%s>" % bob, ana, ts=ago(200))
    ws.say(general, "reply one", bob, thread_ts=parent, ts=ago(199))
    ws.say(general, "reply two", ana, thread_ts=parent, ts=ago(198))
    for i in range(30):
        ws.say(general, f"note {i}", bob, ts=ago(100 - i))
    await ws.run_live()

    live = ws.live()
    assert len(live) == 33
    replies = [m for m in live.values() if m.get("thread_ts") == parent and m["ts"] != parent]
    assert sorted(r["text"] for r in replies) == ["reply one", "reply two"]
    users = ws.live("slack.user")
    assert users[ana]["profile"]["email"] == f"ana@{ws.team.lower()}.example"
    assert set(ws.live("slack.channel")) == {general}
    states = ws.states()
    assert states[general]["status"] == "ok" and states[general]["cursor"]["lastTs"]
    assert states["users"]["status"] == "ok"


async def test_rereading_the_window_stores_no_new_version_when_only_block_ids_change(workspace):
    ws = workspace()
    ana = ws.user("ana")
    general = ws.channel("general")
    for i in range(5):
        ws.say(general, f"m{i}", ana, ts=ago(2 - i * 0.1))
    await ws.run_live()
    before = ws.raw_count()
    blocks = [m.get("blocks") for m in ws.live().values()]
    assert all(b and b[0].get("block_id") for b in blocks), "the sandbox sends blocks with generated block ids"
    await ws.run_live()
    assert ws.raw_count() == before


async def test_edits_deletions_and_late_replies_inside_the_window_are_found(workspace, ssb):
    ws = workspace()
    ana, bob = ws.user("ana"), ws.user("bob")
    general = ws.channel("general")
    edited = ws.say(general, "first draft", ana, ts=ago(5))
    deleted = ws.say(general, "oops", bob, ts=ago(4))
    thread = ws.say(general, "question?", ana, ts=ago(3))
    ws.say(general, "answer", bob, thread_ts=thread, ts=ago(2.9))
    await ws.run_live()
    assert len(ws.live()) == 4

    ssb.edit_message(ws.team, general, edited, "final text")
    ssb.delete_message(ws.team, general, deleted)
    late = ws.say(general, "late answer", ana, thread_ts=thread)
    newer = ws.say(general, "new message", bob)
    await ws.run_live()

    heads = ws.heads()
    assert heads[f"{general}:{deleted}"]["is_deleted"]
    assert heads[f"{general}:{edited}"]["payload"]["text"] == "final text"
    assert heads[f"{general}:{edited}"]["payload"]["edited"]
    assert not heads[f"{general}:{late}"]["is_deleted"] and heads[f"{general}:{late}"]["payload"]["thread_ts"] == thread
    assert f"{general}:{newer}" in ws.live()
    assert ws.states()[general]["status"] == "ok"


async def test_a_message_older_than_the_window_is_never_tombstoned_by_the_reread(workspace, ssb):
    ws = workspace(capabilities={"sync_channels_live": {"lookback_hours": 1}})
    ana = ws.user("ana")
    general = ws.channel("general")
    old = ws.say(general, "old", ana, ts=ago(48))
    ws.say(general, "recent", ana, ts=ago(0.2))
    await ws.run_live()
    ssb.delete_message(ws.team, general, old)  # outside the window: only reconcile can see it
    await ws.run_live()
    assert not ws.heads()[f"{general}:{old}"]["is_deleted"]


async def test_a_channel_the_bot_was_removed_from_fails_alone(workspace, ssb):
    ws = workspace()
    ana = ws.user("ana")
    general, sales = ws.channel("general"), ws.channel("sales")
    ws.say(general, "hi", ana)
    ws.say(sales, "deal", ana)
    ws_settings = {"channels": [general, sales]}
    from worker.connections import enable_capability
    from worker.db.connect import connect

    with connect(ws.url) as conn:
        enable_capability(conn, ws.id, "sync_channels_live", ws_settings)
        conn.commit()
    ssb.set_bot_member(ws.team, sales, False)
    await ws.run_live()
    states = ws.states()
    assert states[general]["status"] == "ok"
    assert states[sales]["status"] == "failing" and "not_in_channel" in states[sales]["last_error"]
    assert "invite" in states[sales]["last_error"]
    assert states[""]["status"] == "failing"  # the capability's own row shows it too
    assert any(k.startswith(general) for k in ws.live())

    ssb.set_bot_member(ws.team, sales, True)
    await ws.run_live()
    assert ws.states()[sales]["status"] == "ok"
    assert any(k.startswith(sales) for k in ws.live())


async def test_private_channels_are_synced_only_with_the_groups_scopes(workspace, ssb):
    from worker.providers.slack.capabilities import CHANNELS_HISTORY, CHANNELS_READ, USERS_READ, USERS_READ_EMAIL

    public_only = [CHANNELS_HISTORY, CHANNELS_READ, USERS_READ, USERS_READ_EMAIL]
    ws = workspace(scopes=public_only)
    ana = ws.user("ana")
    general, secret = ws.channel("general"), ws.channel("secret", is_private=True)
    ws.say(general, "hi", ana)
    ws.say(secret, "psst", ana)
    await ws.run_live()
    assert {k.partition(":")[0] for k in ws.live()} == {general}
    assert secret not in ws.states()

    full = workspace()
    ana = full.user("ana")
    general, secret = full.channel("general"), full.channel("secret", is_private=True)
    full.say(secret, "psst", ana)
    await full.run_live()
    assert {k.partition(":")[0] for k in full.live()} == {secret}


async def test_a_killed_first_sync_resumes_at_its_page(workspace, ssb, monkeypatch):
    """The full history is staged page by page with its cursor: a run stopped after some pages
    resumes at the next one instead of starting over."""
    monkeypatch.setenv("INTEGRATIONS_SLACK_PAGE_SIZE", "10")
    ws = workspace(capabilities={"sync_channels_live": {"lookback_hours": 1}})
    ana = ws.user("ana")
    general = ws.channel("general")
    for i in range(35):
        ws.say(general, f"m{i}", ana, ts=ago(50 - i))
    ssb.add_fault("conversations.history", kind="status", status=404, skip=2, count=100)
    await ws.run_live()  # two pages staged, then history refuses (not retried: the run stops there)
    assert len(ws.live()) == 20
    cursor = ws.states()[general]["cursor"]
    assert cursor["full"]["pageToken"]
    ssb.clear_faults()
    calls = ssb.count_requests(path="conversations.history")
    await ws.run_live()
    assert len(ws.live()) == 35
    assert ssb.count_requests(path="conversations.history") - calls <= 3  # the rest, and the window
