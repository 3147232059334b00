"""`GET /status`: behind the admin token; per tenant, connection and capability the facts of
`integrations status --json`, a failing capability on a red row with its remedy."""

from __future__ import annotations

import re
from html import escape, unescape

import httpx
import pytest

from tests.serve.conftest import ADMIN_TOKEN, drain
from tests.slack.conftest import Workspace
from worker.db.connect import connect
from worker.status import collect_status

pytestmark = pytest.mark.asyncio


def page(server, token: str | None = ADMIN_TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(server.url + "/status", headers=headers, timeout=30)


def block(html: str, connection_id) -> str:
    found = re.search(rf'<div class="connection" id="connection-{connection_id}">(.*?)</div>', html, re.S)
    assert found, f"connection {connection_id} not on the page"
    return found.group(1)


def text(fragment: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", fragment))


@pytest.mark.parametrize("token", [None, "wrong-token-of-the-same-length-0123456789ab"])
async def test_the_page_needs_the_admin_token(server, token):
    answer = page(server, token)
    assert answer.status_code == 401 and "Integrations status" not in answer.text


async def test_a_failing_capability_stands_out_with_its_remedy(server, in_env, slack_sandbox, a_live_worker):
    url = in_env["INTEGRATIONS_DATABASE_URL"]
    healthy = Workspace(slack_sandbox, url, {"sync_channels_live": None})
    broken = Workspace(slack_sandbox, url, {"sync_channels_live": None})
    for ws in (healthy, broken):
        ws.say(ws.channel("general"), "hello", ws.user("ana"))
    slack_sandbox.revoke_tokens(broken.team)  # the workspace uninstalled the app
    for ws in (healthy, broken):
        body, headers = slack_sandbox.event_request(ws.team, {"type": "message", "text": "hello"})
        assert httpx.post(server.url + "/webhooks/slack/events", content=body, headers=headers).status_code == 200
    await drain(url)

    answer = page(server)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    html = answer.text
    assert re.search(r'class="banner problems">\d+ of \d+ capabilities need attention', html)

    good = block(html, healthy.id)
    assert 'class="healthy"' in good and 'class="problem"' not in good
    assert "sync_channels_live" in text(good) and "(1 received)" in text(good)

    bad = block(html, broken.id)
    assert 'class="problem"' in bad and "⚠" in bad
    with connect(url) as conn:
        [facts] = collect_status(conn, broken.id)
    main = next(c for c in facts["capabilities"] if not c["stream"])
    assert main["remedy"] and main["status"] != "ok"
    assert escape(main["remedy"]) in bad and main["status"] in text(bad)  # the same facts as status --json
    assert "reconnect" in text(bad)
    assert f"Tenant {healthy.tenant_id}" in html and f"Tenant {broken.tenant_id}" in html

    one = httpx.get(f"{server.url}/status?tenant={healthy.tenant_id}",
                    headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).text
    assert f"Tenant {healthy.tenant_id}" in one and f"Tenant {broken.tenant_id}" not in one
    assert re.search(r'class="banner ok">all \d+ capabilities healthy', one)
    assert httpx.get(f"{server.url}/status?tenant=nope", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) \
        .status_code == 400


async def test_provider_text_on_the_page_is_escaped(server, in_env, slack_sandbox):
    """An error message, an account id, a reason come from providers and operators: on the page they
    are text, never markup (a hostile one cannot run script in an operator's browser)."""
    url = in_env["INTEGRATIONS_DATABASE_URL"]
    ws = Workspace(slack_sandbox, url, {"sync_channels_live": None})
    hostile = '<script>alert("owned")</script><img src=x onerror=alert(1)>'
    with connect(url) as conn:
        conn.execute("insert into integrations.sync_state (connection_id, capability, stream, status, last_error,"
                     " consecutive_failures) values (%s, 'sync_channels_live', '', 'failing', %s, 1)"
                     " on conflict (connection_id, capability, stream) do update set status = 'failing',"
                     " last_error = excluded.last_error", (ws.id, hostile))
        conn.execute("update integrations.connections set status_reason = %s where id = %s", (hostile, ws.id))
        conn.commit()
    html = page(server).text
    assert "<script>" not in html and "<img" not in html
    assert escape(hostile) in block(html, ws.id)


async def test_the_banner_counts_capabilities_not_their_streams():
    """A Slack capability has a row per channel: three channels, one failing, are one capability in need."""
    from datetime import datetime, timezone

    from worker.http.status_page import render

    def row(capability, stream=None, status="ok", remedy=None):
        return {"capability": capability, "stream": stream, "status": status, "remedy": remedy,
                "lag_seconds": 5, "last_success_at": None, "last_push_at": None, "push": None,
                "push_notifications": 0, "watch_expires_at": None, "reconcile": None, "item_failures": 0,
                "last_error": "channel_not_found" if status == "failing" else None}

    connection = {"tenant_id": "t1", "connection_id": "c1", "provider": "slack", "account_id": "T1",
                  "status": "active", "status_reason": None,
                  "capabilities": [row("sync_channels_live"), row("sync_channels_live", "C1"),
                                   row("sync_channels_live", "C2", "failing", "invite the app to the channel"),
                                   row("sync_channels_live", "C3"), row("post_message")]}
    html = render([connection], [], datetime.now(timezone.utc))
    assert 'class="banner problems">1 of 2 capabilities need attention' in html
    healthy = {**connection, "capabilities": [r for r in connection["capabilities"] if r["status"] == "ok"]}
    assert 'class="banner ok">all 2 capabilities healthy' in render([healthy], [], datetime.now(timezone.utc))
