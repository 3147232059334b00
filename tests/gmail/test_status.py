"""`integrations status`: per capability health with the next step for each problem."""

import asyncio
import json
import time

import pytest
from click.testing import CliRunner

from worker.cli import cli
from worker.db.connect import connect
from worker.settings import get_settings

pytestmark = pytest.mark.asyncio


async def status(*args):
    get_settings.cache_clear()
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["status", *args])
    assert result.exit_code == 0, result.output
    return result.output


async def test_status_shows_health_failures_and_remedies(mailbox):
    box = mailbox()
    ids = [box.add(f"m{i}") for i in range(3)]
    box.sandbox.add_fault(rf"/messages/{ids[0]}$", kind="status", status=404, count=1)
    started = time.monotonic()
    await box.run_live()
    report = json.loads(await status("--connection", str(box.id), "--json"))
    elapsed = time.monotonic() - started  # the records were staged inside this span
    [entry] = report
    caps = {c["capability"]: c for c in entry["capabilities"]}
    live = caps["sync_inbox_live"]
    assert live["status"] == "ok" and live["staged_records"] == 2 and live["item_failures"] == 1
    assert 0 <= live["lag_seconds"] <= elapsed + 1 and live["cursor"]["historyId"]
    assert caps["send_email"]["status"] == "ready"

    box.sandbox.add_fault(r"/history", kind="status", status=400, count=None, probability=1.0)
    with connect(box.url) as conn:
        conn.execute("update integrations.sync_state set next_run_at = null where connection_id = %s", (box.id,))
        conn.commit()
    await box.run_live()
    text = await status("--connection", str(box.id))
    assert "failing" in text and "retrying automatically" in text and "item failures 1" in text

    box.sandbox.revoke_refresh_tokens(box.email)
    box.sandbox.expire_access_tokens(box.email)
    box.sandbox.clear_faults()
    with connect(box.url) as conn:
        conn.execute("update integrations.sync_state set next_run_at = null where connection_id = %s", (box.id,))
        conn.commit()
    await box.run_live()
    text = await status("--connection", str(box.id))
    assert "needs_reauth" in text and "reconnect: the refresh token was revoked" in text
    assert f"integrations connect google --tenant {box.tenant_id}" in text
