"""The admin HTTP API (DESIGN.md's contract: users and messages imported as the Web API returns them,
unknown teams and channels created; the request log; reset), the generator, and
``integrations sandbox serve --print-env`` printing the Slack settings after Microsoft's."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import httpx
from click.testing import CliRunner
from slack_sdk import WebClient

from sandbox.cli import sandbox as sandbox_group
from sandbox.slack import Sandbox


def test_admin_api_imports_users_and_messages_into_new_teams_and_channels(slack_sandbox):
    sb = slack_sandbox
    admin = httpx.Client(base_url=f"{sb.base_url}/_sandbox")
    user = admin.post("/slack/teams/T0NEWTEAM01/users",
                      json={"id": "U0CLEOCLEO0", "name": "cleo", "profile": {"email": "cleo@acme.test"}}).json()
    assert user["id"] == "U0CLEOCLEO0" and user["team_id"] == "T0NEWTEAM01" and not user["is_bot"]
    parent = admin.post("/slack/teams/T0NEWTEAM01/channels/C0NEWCHANEL/messages",
                        json={"user": "U0CLEOCLEO0", "text": "parent", "ts": "1700000000.000100"}).json()
    reply = admin.post("/slack/teams/T0NEWTEAM01/channels/C0NEWCHANEL/messages",
                       json={"user": "U0CLEOCLEO0", "text": "reply", "thread_ts": parent["ts"]}).json()
    assert reply["thread_ts"] == parent["ts"] and float(reply["ts"]) > float(parent["ts"])
    duplicate = admin.post("/slack/teams/T0NEWTEAM01/channels/C0NEWCHANEL/messages",
                           json={"text": "again", "ts": "1700000000.000100"})
    assert duplicate.status_code == 400

    install = admin.post("/slack/teams/T0NEWTEAM01/tokens", json={"scopes": ["channels:history", "users:read.email",
                                                                            "users:read"]}).json()
    client = WebClient(install["access_token"], base_url=sb.base_url + "/api/")
    history = client.conversations_history(channel="C0NEWCHANEL")["messages"]
    assert [(m["text"], m["reply_count"]) for m in history] == [("parent", 1)]
    assert client.users_info(user="U0CLEOCLEO0")["user"]["profile"]["email"] == "cleo@acme.test"

    stored = admin.get("/slack/teams/T0NEWTEAM01/channels/C0NEWCHANEL/messages").json()["messages"]
    assert [m["text"] for m in stored] == ["parent", "reply"]
    admin.patch(f"/slack/teams/T0NEWTEAM01/channels/C0NEWCHANEL/messages/{parent['ts']}", json={"text": "edited"})
    admin.delete(f"/slack/teams/T0NEWTEAM01/channels/C0NEWCHANEL/messages/{reply['ts']}")
    assert [m["text"] for m in sb.messages("T0NEWTEAM01", "C0NEWCHANEL")] == ["edited"]

    log = admin.get("/requests", params={"method_id": "conversations.history"}).json()
    assert log["count"] == 1 and log["requests"][0]["provider"] == "slack"
    assert log["requests"][0]["user"] == "T0NEWTEAM01"

    assert admin.put("/slack/settings", json={"limited_history": True, "window_seconds": 5}).json()[
        "limited_history"] is True
    assert admin.post("/reset").status_code == 200
    assert sb.accounts() == [sb.DEFAULT_TEAM]
    assert admin.get("/slack/settings").json() == {"window_seconds": 60.0, "limited_history": False,
                                                   "token_rotation": False, "access_token_lifetime": 43200.0,
                                                   "volatile_block_ids": True, "clock_offset_seconds": 0.0}
    assert admin.get("/requests").json()["count"] == 0


def test_a_skewed_clock_dates_new_messages_and_every_answer(slack_sandbox):
    """Slack's clock against ours: the ts of what is posted and the Date header tell Slack's time."""
    sb = slack_sandbox
    admin = httpx.Client(base_url=f"{sb.base_url}/_sandbox")
    assert admin.put("/slack/settings", json={"clock_offset_seconds": -180}).json()["clock_offset_seconds"] == -180
    install = admin.post(f"/slack/teams/{sb.DEFAULT_TEAM}/tokens", json={"scopes": ["chat:write"]}).json()
    channel = sb.add_channel(sb.DEFAULT_TEAM, "skewed")["id"]
    before = time.time()
    answer = httpx.post(f"{sb.base_url}/api/chat.postMessage", json={"channel": channel, "text": "hi"},
                        headers={"Authorization": f"Bearer {install['access_token']}"})
    after = time.time()
    assert answer.json()["ok"] is True
    assert before - 181 <= float(answer.json()["ts"]) <= after - 179
    date = parsedate_to_datetime(answer.headers["Date"]).timestamp()
    assert before - 182 <= date <= after - 179
    sb.reset()
    assert abs(parsedate_to_datetime(httpx.get(f"{sb.base_url}/api/auth.test").headers["Date"]).timestamp()
               - time.time()) < 5


def test_admin_channels_bot_membership_and_revocation(slack_sandbox):
    sb = slack_sandbox
    admin = httpx.Client(base_url=f"{sb.base_url}/_sandbox/slack/teams/{sb.DEFAULT_TEAM}")
    channel = admin.post("/channels", json={"name": "deals", "is_private": True}).json()
    assert channel["is_private"] and channel["is_member"]
    install = admin.post("/tokens", json={}).json()
    client = WebClient(install["access_token"], base_url=sb.base_url + "/api/")
    assert client.conversations_info(channel=channel["id"])["channel"]["name"] == "deals"
    admin.put(f"/channels/{channel['id']}/bot_member", json={"member": False})
    assert admin.get("/channels").json()["channels"][0]["is_member"] is False
    assert admin.post("/revoke").json() == {"revoked": 1}
    answer = httpx.get(f"{sb.base_url}/api/auth.test", headers={"Authorization": f"Bearer {install['access_token']}"})
    assert answer.json() == {"ok": False, "error": "token_revoked"}


def test_plain_get_with_query_token_and_form_post(slack_sandbox):
    """Clients other than slack_sdk: GET with the arguments (and token) in the query; form POSTs."""
    sb = slack_sandbox
    channel = sb.add_channel(sb.DEFAULT_TEAM, "general")["id"]
    sb.import_message(sb.DEFAULT_TEAM, channel, {"text": "hello"})
    token = sb.issue_bot_token(sb.DEFAULT_TEAM)["access_token"]
    got = httpx.get(f"{sb.base_url}/api/conversations.history", params={"channel": channel, "token": token}).json()
    assert got["ok"] and got["messages"][0]["text"] == "hello"
    posted = httpx.post(f"{sb.base_url}/api/chat.postMessage", data={"channel": channel, "text": "form"},
                        headers={"Authorization": f"Bearer {token}"})
    assert posted.json()["message"]["text"] == "form" and "channels:history" in posted.headers["x-oauth-scopes"]
    bad = httpx.post(f"{sb.base_url}/api/chat.postMessage", content=b"{oops",
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert bad.status_code == 200 and bad.json() == {"ok": False, "error": "invalid_json"}


def test_generate_is_seeded_and_builds_threads_private_channels_and_bot_gaps():
    first = Sandbox(seed=3).generate(Sandbox.DEFAULT_TEAM, channels=5, messages_per_channel=60, users=6)
    again = Sandbox(seed=3).generate(Sandbox.DEFAULT_TEAM, channels=5, messages_per_channel=60, users=6)
    assert first == again
    assert first["messages"] == 300 and first["replies"] > 0 and len(first["users"]) == 6
    assert [c["is_private"] for c in first["channels"]] == [False, False, False, False, True]
    assert [c["bot_member"] for c in first["channels"]] == [True, True, True, False, True]
    seeded = Sandbox(seed=3)
    summary = seeded.generate(seeded.DEFAULT_TEAM, channels=5, messages_per_channel=60, users=6)
    everything = [m for c in summary["channels"] for m in seeded.messages(seeded.DEFAULT_TEAM, c["id"])]
    subtypes = {m.get("subtype") for m in everything}
    assert {"bot_message", "thread_broadcast"} <= subtypes
    assert any(m.get("files") for m in everything) and any(m.get("metadata") for m in everything)
    assert any("<@U" in m["text"] for m in everything)
    sb = Sandbox(seed=3)
    summary = sb.generate(sb.DEFAULT_TEAM, channels=2, messages_per_channel=80, users=["ana@acme.test"])
    messages = [m for c in summary["channels"] for m in sb.messages(sb.DEFAULT_TEAM, c["id"])]
    assert len(messages) == 160
    assert sb.users(sb.DEFAULT_TEAM)[1]["profile"]["email"] == "ana@acme.test"
    assert any(m.get("reply_count") for m in messages) and any(m.get("edited") for m in messages)


def test_serve_prints_slack_settings_after_microsofts_and_serves(monkeypatch):
    seen = {}
    output: list[str] = []

    def probe():  # instead of serving forever: call the Slack sandbox while it runs
        env = seen["env"] = dict(line.split("=", 1) for line in output if "=" in line)
        seen["answer"] = httpx.get(env["INTEGRATIONS_SLACK_BASE_URL"] + "/api/auth.test").json()

    monkeypatch.setattr("sandbox.core.cli.click.echo", lambda line="": output.append(str(line)))
    monkeypatch.setattr("sandbox.core.cli.wait_forever", probe)
    result = CliRunner().invoke(sandbox_group, ["serve", "--port", "0", "--print-env", "--users", "a@x.test",
                                                "--messages", "3", "--events", "1", "--quota", "0",
                                                "--microsoft-port", "0", "--slack-port", "0"])
    assert result.exit_code == 0, result.output
    names = [line.split("=", 1)[0] for line in output]
    assert names[6:10] == ["INTEGRATIONS_MICROSOFT_BASE_URL", "INTEGRATIONS_MICROSOFT_CLIENT_ID",
                          "INTEGRATIONS_MICROSOFT_CLIENT_SECRET", "INTEGRATIONS_MICROSOFT_CA_BUNDLE"]
    assert names[10:14] == ["INTEGRATIONS_SLACK_BASE_URL", "INTEGRATIONS_SLACK_CLIENT_ID",
                         "INTEGRATIONS_SLACK_CLIENT_SECRET", "INTEGRATIONS_SLACK_SIGNING_SECRET"]
    assert names[14:] == ["INTEGRATIONS_TWILIO_BASE_URL", "INTEGRATIONS_QUICKBOOKS_BASE_URL",
                          "INTEGRATIONS_QUICKBOOKS_CLIENT_ID", "INTEGRATIONS_QUICKBOOKS_CLIENT_SECRET",
                          "INTEGRATIONS_QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN"]
    assert seen["env"]["INTEGRATIONS_SLACK_BASE_URL"].startswith("http://127.0.0.1:")
    assert seen["answer"] == {"ok": False, "error": "not_authed"}


def test_serve_help_names_the_slack_port():
    result = CliRunner().invoke(sandbox_group, ["serve", "--help"])
    assert result.exit_code == 0 and "--slack-port" in result.output
