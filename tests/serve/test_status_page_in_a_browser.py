"""The status page in a real headless Chromium: what a person sees — the banner, the failing
capability's state and remedy — and, in the screenshot (kept in the test's tmp dir), its red row."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest

from tests.serve import browser
from tests.serve.conftest import ADMIN_TOKEN, drain
from tests.slack.conftest import Workspace

pytestmark = [pytest.mark.asyncio,
              pytest.mark.skipif(browser.chromium() is None, reason="no chromium: `make chromium` installs it")]
PROBLEM_ROW = (0xFE, 0xE4, 0xE2)  # tr.problem td's background (worker/http/status_page.py)


async def test_a_person_sees_the_failing_capability_and_its_remedy(server, in_env, slack_sandbox, tmp_path):
    url = in_env["INTEGRATIONS_DATABASE_URL"]
    broken = Workspace(slack_sandbox, url, {"sync_channels_live": None})
    broken.say(broken.channel("general"), "hello", broken.user("ana"))
    slack_sandbox.revoke_tokens(broken.team)
    body, headers = slack_sandbox.event_request(broken.team, {"type": "message", "text": "hello"})
    assert httpx.post(server.url + "/webhooks/slack/events", content=body, headers=headers).status_code == 200
    await drain(url)

    proxy = browser.HeaderProxy(server.url, {"Authorization": f"Bearer {ADMIN_TOKEN}"})
    try:
        page = f"{proxy.url}/status?tenant={broken.tenant_id}"  # this test's tenant only: it fills the view
        dom = browser.dump_dom(page, tmp_path)
        shot = browser.screenshot(page, tmp_path / "status.png", size="1000,450")
    finally:
        proxy.close()

    found = re.search(rf'id="connection-{broken.id}">(.*?)</div>', dom, re.S)
    assert found, "the broken connection is not on the rendered page"
    seen = unescape(re.sub(r"<[^>]+>", " ", found.group(1)))
    assert "needs_reauth" in seen and "⚠" in seen and "reinstall the Slack app" in seen
    assert re.search(r"[1-9]\d* of \d+ capabilities need attention", unescape(dom))

    width, height, rgb = browser.pixels(shot)
    assert (width, height) == (1000, 450)
    assert sum(1 for p in rgb if p == PROBLEM_ROW) > 2000  # the failing row is painted red, not just marked up
