"""Slack's rate limits: a rate-limited sync is slower, never failed — Tier 3 and the 1-per-window app tier."""

import pytest

pytestmark = pytest.mark.asyncio


async def test_a_limited_app_tier_sync_waits_for_each_window_and_finishes(workspace, ssb, monkeypatch):
    """With history limited to one request per (short) window and 15 messages a page — and the
    worker not told so (no client pacing) — the sync meets 429s, waits them out page by page, and
    the run ends ok with everything."""
    ssb.set_window_seconds(1.0)
    ssb.set_limited_history(True)
    monkeypatch.setenv("INTEGRATIONS_SLACK_TIER3_PER_MINUTE", "0")
    try:
        ws = workspace(capabilities={"sync_channels_live": {"lookback_hours": 1}})
        ana = ws.user("ana")
        general = ws.channel("general")
        for i in range(40):
            ws.say(general, f"m{i}", ana)
        await ws.run_live()
    finally:
        ssb.set_limited_history(False)
        ssb.set_window_seconds(60.0)
    assert len(ws.live()) == 40
    assert ws.states()[general]["status"] == "ok"
    assert ssb.count_requests(path="conversations.history", status=200) >= 3  # 40 messages, 15 a page
    assert ssb.count_requests(path="conversations.history", status=429) >= 1


async def test_client_pacing_keeps_a_tier_under_its_limit(workspace, ssb, monkeypatch):
    """Paced at the tier's rate, the same sync meets no 429 at all."""
    ssb.set_window_seconds(1.0)
    ssb.set_limited_history(True)
    monkeypatch.setenv("INTEGRATIONS_SLACK_LIMITED_HISTORY", "true")
    try:
        ws = workspace(capabilities={"sync_channels_live": {"lookback_hours": 1}})
        ana = ws.user("ana")
        general = ws.channel("general")
        for i in range(20):
            ws.say(general, f"m{i}", ana)
        # under one history request per (1 s) window, with a margin for the time a request travels
        monkeypatch.setattr("worker.providers.slack.settings.SlackSettings.history_per_minute", property(lambda s: 40.0))
        await ws.run_live()
    finally:
        ssb.set_limited_history(False)
        ssb.set_window_seconds(60.0)
    assert len(ws.live()) == 20
    assert ssb.count_requests(path="conversations.history", status=429) == 0
