"""The admin HTTP API (DESIGN.md's contracts), ``integrations sandbox serve --print-env`` with the
Twilio sandbox beside the others, the fixtures, and the deterministic generator."""

from __future__ import annotations

import os
from collections import Counter
from email.utils import parsedate_to_datetime

import httpx
from click.testing import CliRunner
from twilio.rest import Client

from sandbox.cli import sandbox as sandbox_group
from sandbox.twilio import Sandbox

NEW_ACCOUNT = "AC" + "7" * 32


def test_admin_imports_create_unknown_accounts_and_take_resources_as_the_api_returns_them(twilio_sandbox):
    sb = twilio_sandbox
    admin = httpx.Client(base_url=sb.base_url + "/_sandbox", timeout=10)
    message = {"sid": "SM" + "1" * 32, "from": "+14155550199", "to": "+14155550100", "body": "Inbound hi",
               "direction": "inbound", "status": "received", "date_sent": "Thu, 30 May 2024 20:12:31 +0000",
               "date_created": "Thu, 30 May 2024 20:12:30 +0000", "num_segments": "1", "price": "-0.00790"}
    stored = admin.post(f"/twilio/accounts/{NEW_ACCOUNT}/messages", json=message)
    assert stored.status_code == 200 and stored.json()["sid"] == message["sid"]
    assert stored.json()["date_sent"] == message["date_sent"] and stored.json()["account_sid"] == NEW_ACCOUNT
    call = admin.post(f"/twilio/accounts/{NEW_ACCOUNT}/calls", json={
        "from": "+14155550199", "to": "+14155550100", "direction": "inbound", "status": "completed",
        "start_time": "Thu, 30 May 2024 20:00:00 +0000", "end_time": "Thu, 30 May 2024 20:03:00 +0000"}).json()
    assert call["sid"].startswith("CA") and call["duration"] == "180"
    assert NEW_ACCOUNT in sb.accounts()
    key = admin.post(f"/twilio/accounts/{NEW_ACCOUNT}/keys").json()
    client = Client(key["sid"], key["secret"], account_sid=NEW_ACCOUNT)
    client.api.base_url = sb.base_url
    assert [m.body for m in client.messages.list()] == ["Inbound hi"]
    assert [c.sid for c in client.calls.list()] == [call["sid"]]

    changed = admin.post(f"/twilio/accounts/{NEW_ACCOUNT}/messages/{message['sid']}/status",
                         json={"status": "read"}).json()
    assert changed["status"] == "read"
    assert admin.delete(f"/twilio/accounts/{NEW_ACCOUNT}/messages/{message['sid']}").status_code == 200
    assert admin.get(f"/twilio/accounts/{NEW_ACCOUNT}/messages").json() == {"messages": []}
    assert admin.delete(f"/twilio/accounts/{NEW_ACCOUNT}/keys/{key['sid']}").status_code == 200
    assert httpx.get(f"{sb.base_url}/2010-04-01/Accounts/{NEW_ACCOUNT}.json",
                     auth=(key["sid"], key["secret"])).status_code == 401
    assert admin.post("/twilio/accounts/AC-nope/messages/SMx/status", json={"status": "read"}).status_code == 404

    log = admin.get("/requests").json()
    assert log["count"] >= 3 and {e["provider"] for e in log["requests"]} == {"twilio"}
    assert any(e["path"].endswith("/Messages.json") for e in log["requests"])
    assert admin.post("/reset").status_code == 200
    assert sb.accounts() == [] and admin.get("/requests").json()["count"] == 0


def test_admin_clock_rate_and_generate(twilio_sandbox, twilio_account, http):
    sb = twilio_sandbox
    admin = httpx.Client(base_url=sb.base_url + "/_sandbox/twilio", timeout=30)
    sid = http.post("/Messages.json", data={"To": "+14155550123", "From": "+14155550100", "Body": "x"}).json()["sid"]
    assert admin.post("/advance", json={"seconds": 5}).status_code == 200
    assert http.get(f"/Messages/{sid}.json").json()["status"] == "delivered"
    rate = admin.put("/rate", json={"requests_per_second": 5, "max_concurrent": 3}).json()
    assert (rate["requests_per_second"], rate["max_concurrent_per_user"]) == (5, 3)
    summary = admin.post("/generate", json={"account_sid": NEW_ACCOUNT, "messages": 30, "calls": 10}).json()
    assert summary["account_sid"] == NEW_ACCOUNT and len(sb.messages(NEW_ACCOUNT)) == 30


def test_reset_restores_the_limits_and_empties_state(twilio_sandbox, twilio_account):
    sb = twilio_sandbox
    sb.set_rate(requests_per_second=1, max_concurrent=1)
    sb.reset()
    assert (sb.quota.config.requests_per_second, sb.quota.config.max_concurrent_per_user) == (100.0, 50)
    assert sb.accounts() == []


def test_env_fixture_sets_the_base_url(twilio_sandbox_env):
    assert os.environ["INTEGRATIONS_TWILIO_BASE_URL"] == twilio_sandbox_env.base_url
    assert twilio_sandbox_env.env() == {"INTEGRATIONS_TWILIO_BASE_URL": twilio_sandbox_env.base_url}


def test_serve_prints_the_twilio_base_url_and_serves_its_generated_account(monkeypatch):
    seen = {}
    output: list[str] = []

    def probe():  # instead of serving forever: call the Twilio sandbox while it runs
        env = dict(line.split("=", 1) for line in output if "=" in line)
        seen["env"] = env
        seen["status"] = httpx.get(env["INTEGRATIONS_TWILIO_BASE_URL"] + "/_sandbox/twilio/accounts/x").status_code

    monkeypatch.setattr("sandbox.core.cli.click.echo", lambda line="": output.append(str(line)))
    monkeypatch.setattr("sandbox.core.cli.wait_forever", probe)
    result = CliRunner().invoke(sandbox_group, ["serve", "--port", "0", "--print-env", "--users", "a@x.test",
                                                "--messages", "1", "--events", "0", "--quota", "0",
                                                "--microsoft-port", "0", "--twilio-port", "0"])
    assert result.exit_code == 0, result.output
    names = [line.split("=", 1)[0] for line in output]
    assert names[names.index("INTEGRATIONS_SLACK_SIGNING_SECRET") + 1] == "INTEGRATIONS_TWILIO_BASE_URL"  # after Slack's
    assert seen["env"]["INTEGRATIONS_TWILIO_BASE_URL"].startswith("http://127.0.0.1:")
    assert seen["status"] == 404  # the server answered (no such account), then stopped with the others

    output.clear()
    monkeypatch.setattr("sandbox.core.cli.wait_forever", lambda: None)
    plain = CliRunner().invoke(sandbox_group, ["serve", "--port", "0", "--users", "a@x.test", "--messages", "1",
                                               "--events", "0"])
    assert plain.exit_code == 0, plain.output
    banner = "\n".join(output)
    assert "Twilio sandbox at http://127.0.0.1:" in banner and "account sid:   AC" in banner


def test_generator_is_deterministic_and_varied():
    first, second = Sandbox(seed=3), Sandbox(seed=3)
    a = first.generate(messages=120, calls=50, days=10)
    b = second.generate(messages=120, calls=50, days=10)
    assert a["account_sid"] == b["account_sid"]
    texts, calls = first.messages(a["account_sid"]), first.calls(a["account_sid"])
    assert [m["sid"] for m in texts] == [m["sid"] for m in second.messages(b["account_sid"])]
    assert [m["body"] for m in texts] == [m["body"] for m in second.messages(b["account_sid"])]
    assert len(texts) == 120 and len(calls) == 50
    statuses = Counter(m["status"] for m in texts)
    assert {"received", "delivered", "queued"} <= set(statuses) and statuses["queued"] == 3
    assert any(m["error_code"] for m in texts if m["status"] in ("undelivered", "failed"))
    assert {m["direction"] for m in texts} >= {"inbound", "outbound-api"}
    assert any(int(m["num_segments"]) > 1 for m in texts) and any(m["num_media"] != "0" for m in texts)
    assert {c["direction"] for c in calls} >= {"inbound", "outbound-api"}
    assert all(c["parent_call_sid"] for c in calls if c["direction"] == "outbound-dial")
    now = first.world.clock.now()
    for message in texts:
        age = (now - parsedate_to_datetime(message["date_created"])).total_seconds()
        assert 0 < age <= 10 * 86400
    assert all(m["date_sent"] is None for m in texts if m["status"] == "queued")
    assert Counter(c["status"] for c in calls)["completed"] > 20
    assert all(c["duration"] == str(int((parsedate_to_datetime(c["end_time"])
                                         - parsedate_to_datetime(c["start_time"])).total_seconds()))
               for c in calls if c["end_time"])
