"""The admin HTTP API under /_sandbox/, the request log, and the `sandbox serve` command."""

from __future__ import annotations

import base64

import httpx
from click.testing import CliRunner

from sandbox.cli import sandbox as sandbox_group
from tests.sandbox.conftest import USER, make_raw


def admin(sb, method, path, **kw):
    answer = httpx.request(method, sb.base_url + "/_sandbox" + path, **kw)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_import_relabel_trash_delete_and_expire_over_http(sandbox, gmail):
    raw = base64.urlsafe_b64encode(make_raw()).decode()
    stored = admin(sandbox, "POST", f"/gmail/users/{USER}/messages", json={"raw": raw})
    assert stored["historyId"] == str(sandbox.history_id(USER))
    full = gmail.get(f"/gmail/v1/users/me/messages/{stored['id']}").json()
    copy = admin(sandbox, "POST", "/gmail/users/ben@acme.test/messages", json=full)  # Message resource
    assert copy["id"] == stored["id"]  # ids are per mailbox; the given one is kept
    label = admin(sandbox, "POST", f"/gmail/users/{USER}/labels", json={"name": "VIP"})["id"]
    admin(sandbox, "POST", f"/gmail/users/{USER}/messages/{stored['id']}/labels",
          json={"add": [label], "remove": ["UNREAD"]})
    assert gmail.get(f"/gmail/v1/users/me/messages/{stored['id']}").json()["labelIds"] == ["INBOX", label]
    admin(sandbox, "POST", f"/gmail/users/{USER}/messages/{stored['id']}/trash")
    assert "TRASH" in sandbox.get_message(USER, stored["id"])["labelIds"]
    admin(sandbox, "DELETE", f"/gmail/users/{USER}/messages/{stored['id']}")
    admin(sandbox, "POST", f"/gmail/users/{USER}/history/expire", json={"before": sandbox.history_id(USER)})
    assert gmail.get("/gmail/v1/users/me/history", params={"startHistoryId": 1000}).status_code == 404


def test_calendar_mutations_over_http(sandbox, gmail):
    admin(sandbox, "POST", f"/calendar/users/{USER}/calendars", json={"id": "team", "summary": "Team"})
    event = admin(sandbox, "POST", f"/calendar/users/{USER}/calendars/primary/events", json={
        "id": "series0001", "summary": "Sync", "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"],
        "start": {"dateTime": "2024-06-03T09:00:00Z"}, "end": {"dateTime": "2024-06-03T09:30:00Z"}})
    assert event["status"] == "confirmed"
    updated = admin(sandbox, "PATCH", f"/calendar/users/{USER}/calendars/primary/events/series0001",
                    json={"summary": "Sync v2"})
    assert updated["summary"] == "Sync v2"
    exception = admin(sandbox, "POST", f"/calendar/users/{USER}/calendars/primary/events/series0001/exceptions",
                      json={"originalStartTime": "2024-06-04T09:00:00Z", "changes": {"location": "Room 2"}})
    assert exception["id"] == "series0001_20240604T090000Z" and exception["location"] == "Room 2"
    cancelled = admin(sandbox, "DELETE", f"/calendar/users/{USER}/calendars/primary/events/series0001")
    assert cancelled["status"] == "cancelled"
    admin(sandbox, "POST", f"/calendar/users/{USER}/sync-tokens/invalidate", json={})


def test_oauth_quota_faults_and_log_over_http(sandbox):
    tokens = admin(sandbox, "POST", "/oauth/tokens", json={"email": USER, "scopes": ["https://mail.google.com/"]})
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert admin(sandbox, "PUT", "/quota", json={"units_per_window": 1})["units_per_window"] == 1
    assert admin(sandbox, "GET", "/quota")["window_seconds"] == 60.0
    rule = admin(sandbox, "POST", "/faults", json={"path": "/labels$", "kind": "status", "status": 503})
    assert admin(sandbox, "GET", "/faults")["faults"][0]["id"] == rule["id"]
    assert httpx.get(sandbox.base_url + "/gmail/v1/users/me/labels", headers=headers).status_code == 503
    assert httpx.get(sandbox.base_url + "/gmail/v1/users/me/profile", headers=headers).status_code == 200
    assert httpx.get(sandbox.base_url + "/gmail/v1/users/me/profile", headers=headers).status_code == 429
    log = admin(sandbox, "GET", "/requests", params={"path": "profile"})
    assert log["count"] == 2
    assert [(r["method"], r["user"], r["units"], r["status"]) for r in log["requests"]] == [
        ("GET", USER, 1, 200), ("GET", USER, 0, 429)]
    assert admin(sandbox, "GET", "/requests", params={"status": 503})["count"] == 1
    admin(sandbox, "DELETE", "/faults")
    admin(sandbox, "POST", "/oauth/expire", json={"email": USER})
    assert httpx.get(sandbox.base_url + "/gmail/v1/users/me/profile", headers=headers).status_code == 401
    assert admin(sandbox, "POST", "/oauth/revoke", json={"email": USER})["revoked"] == 1
    admin(sandbox, "DELETE", "/requests")
    assert admin(sandbox, "GET", "/requests")["count"] == 0


def test_admin_calls_are_not_logged_and_reset_empties_everything(sandbox, gmail):
    admin(sandbox, "POST", "/accounts", json={"email": "new@acme.test"})
    assert "new@acme.test" in admin(sandbox, "GET", "/accounts")["accounts"]
    admin(sandbox, "POST", "/generate", json={"users": ["gen@acme.test"], "messages": 5, "events": 2})
    assert sandbox.count_requests() == 0
    admin(sandbox, "POST", "/reset")
    assert sandbox.accounts() == []


def test_admin_errors(sandbox):
    assert httpx.get(sandbox.base_url + "/_sandbox/nothing").status_code == 404
    assert httpx.delete(sandbox.base_url + f"/_sandbox/gmail/users/{USER}/messages/nope").status_code == 404
    assert httpx.post(sandbox.base_url + "/_sandbox/faults", json={"path": "x", "kind": "boom"}).status_code == 400


def test_zero_calls_are_countable(sandbox, gmail):
    gmail.get("/gmail/v1/users/me/profile")
    mark = sandbox.requests()[-1]["seq"]
    assert sandbox.count_requests(since=mark) == 0
    assert sandbox.count_requests(method_id="gmail.users.getProfile", user=USER) == 1


def test_env_names_the_endpoint_credentials_and_quota_table(sandbox):
    env = sandbox.env()
    assert env == {"INTEGRATIONS_GOOGLE_BASE_URL": sandbox.base_url,
                   "INTEGRATIONS_GOOGLE_CLIENT_ID": sandbox.client_id,
                   "INTEGRATIONS_GOOGLE_CLIENT_SECRET": sandbox.client_secret,
                   "INTEGRATIONS_GMAIL_QUOTA_TABLE": "legacy",
                   "INTEGRATIONS_GOOGLE_PUBSUB_TOPIC": "projects/sandbox-project/topics/gmail",
                   "INTEGRATIONS_GOOGLE_PUSH_SERVICE_ACCOUNT": sandbox.pubsub.service_account}


def test_sandbox_env_fixture_sets_os_environ(sandbox_env):
    import os

    assert os.environ["INTEGRATIONS_GOOGLE_BASE_URL"] == sandbox_env.base_url


def test_serve_help_shows_an_example():
    for args in (["--help"], ["serve", "--help"]):
        result = CliRunner().invoke(sandbox_group, args)
        assert result.exit_code == 0 and "Example" in result.output and "sandbox serve" in result.output


def test_serve_prints_env_then_serves(monkeypatch):
    monkeypatch.setattr("sandbox.core.cli.wait_forever", lambda: None)
    result = CliRunner().invoke(sandbox_group, ["serve", "--port", "0", "--print-env", "--users", "a@x.test",
                                                "--messages", "3", "--events", "1", "--quota", "0"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [l.split("=", 1)[0] for l in lines] == [
        "INTEGRATIONS_GOOGLE_BASE_URL", "INTEGRATIONS_GOOGLE_CLIENT_ID", "INTEGRATIONS_GOOGLE_CLIENT_SECRET",
        "INTEGRATIONS_GMAIL_QUOTA_TABLE", "INTEGRATIONS_GOOGLE_PUBSUB_TOPIC", "INTEGRATIONS_GOOGLE_PUSH_SERVICE_ACCOUNT",
        "INTEGRATIONS_MICROSOFT_BASE_URL", "INTEGRATIONS_MICROSOFT_CLIENT_ID",
        "INTEGRATIONS_MICROSOFT_CLIENT_SECRET", "INTEGRATIONS_MICROSOFT_CA_BUNDLE", "INTEGRATIONS_SLACK_BASE_URL",
        "INTEGRATIONS_SLACK_CLIENT_ID", "INTEGRATIONS_SLACK_CLIENT_SECRET", "INTEGRATIONS_SLACK_SIGNING_SECRET",
        "INTEGRATIONS_TWILIO_BASE_URL", "INTEGRATIONS_QUICKBOOKS_BASE_URL", "INTEGRATIONS_QUICKBOOKS_CLIENT_ID",
        "INTEGRATIONS_QUICKBOOKS_CLIENT_SECRET", "INTEGRATIONS_QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN"]
    assert lines[3] == "INTEGRATIONS_GMAIL_QUOTA_TABLE=2026"  # a new project's table by default
    assert lines[6].startswith("INTEGRATIONS_MICROSOFT_BASE_URL=https://127.0.0.1:")
    plain = CliRunner().invoke(sandbox_group, ["serve", "--port", "0"])
    assert plain.exit_code == 0, plain.output
    assert "Google sandbox at http://127.0.0.1:" in plain.output and "client secret" in plain.output
