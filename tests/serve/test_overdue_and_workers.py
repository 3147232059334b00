"""Health that notices time passing: a live capability whose last success is a few intervals old is
*overdue* in `status`, on `/status` and in the metrics (nothing records a run that never happens),
and no worker alive is a red banner, never a green one."""

from __future__ import annotations

import re

import httpx
import pytest
from click.testing import CliRunner

from tests.serve.conftest import ADMIN_TOKEN
from tests.slack.conftest import Workspace
from worker.cli import cli
from worker.db.connect import connect
from worker.observe.database import DatabaseCollector
from worker.status import collect_status

pytestmark = pytest.mark.asyncio

INTERVAL = 60  # INTEGRATIONS_SYNC_INTERVAL_SECONDS of these tests (the default); overdue factor 3


def page(server, tenant=None) -> str:
    query = f"?tenant={tenant}" if tenant else ""
    return httpx.get(f"{server.url}/status{query}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).text


def succeeded_ago(url: str, connection_id, seconds: int) -> None:
    with connect(url) as conn:
        conn.execute("update integrations.sync_state set last_success_at = now() - make_interval(secs => %s)"
                     " where connection_id = %s and stream = ''", (seconds, connection_id))
        conn.commit()


def main_row(url: str, connection_id) -> dict:
    with connect(url) as conn:
        [facts] = collect_status(conn, connection_id)
    return next(c for c in facts["capabilities"] if c["capability"] == "sync_channels_live" and not c["stream"])


def overdue_metric(url: str) -> float:
    families = {f.name: f for f in DatabaseCollector(url).collect()}
    return sum(s.value for s in families["integrations_sync_overdue"].samples
               if s.labels == {"provider": "slack", "capability": "sync_channels_live"})


async def test_a_capability_silent_for_more_than_three_intervals_is_overdue(in_env, slack_sandbox, make_database,
                                                                            monkeypatch):
    url = make_database.create()  # its own database: the metric counts every connection in it
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", url)
    ws = Workspace(slack_sandbox, url, {"sync_channels_live": None})
    ws.say(ws.channel("general"), "hello", ws.user("ana"))
    await ws.run_live()
    fresh = main_row(url, ws.id)
    assert fresh["status"] == "ok" and fresh["overdue"] is False and fresh["remedy"] is None
    assert overdue_metric(url) == 0

    succeeded_ago(url, ws.id, 2 * INTERVAL)  # late, but within three intervals
    assert main_row(url, ws.id)["overdue"] is False and overdue_metric(url) == 0

    succeeded_ago(url, ws.id, 4 * INTERVAL)  # every worker stopped four minutes ago
    late = main_row(url, ws.id)
    assert late["status"] == "ok" and late["overdue"] is True  # the recorded state is still ok
    assert late["remedy"].startswith("overdue: no successful run for 4m") and "integrations worker" in late["remedy"]
    assert overdue_metric(url) == 1

    answer = CliRunner().invoke(cli, ["status", "--connection", str(ws.id)])
    assert answer.exit_code == 0, answer.output
    assert re.search(r"sync_channels_live\s+ok OVERDUE", answer.output) and "next: overdue" in answer.output

    monkeypatch.setenv("INTEGRATIONS_OVERDUE_FACTOR", "5")  # the factor is a setting
    from worker.settings import get_settings

    get_settings.cache_clear()
    assert main_row(url, ws.id)["overdue"] is False and overdue_metric(url) == 0
    get_settings.cache_clear()


async def test_no_worker_alive_is_a_red_banner_not_a_green_one(server, in_env, slack_sandbox):
    url = in_env["INTEGRATIONS_DATABASE_URL"]
    ws = Workspace(slack_sandbox, url, {"sync_channels_live": None})
    await ws.run_live()  # healthy: synced a moment ago
    with connect(url) as conn:  # the burst worker above unregistered; no other runs on this database
        conn.execute("delete from procrastinate_workers")
        conn.commit()
    html = page(server, ws.tenant_id)
    assert 'class="banner problems workers">no worker alive' in html and 'class="banner ok"' not in html
    assert "NO WORKER ALIVE" in CliRunner().invoke(cli, ["status", "--connection", str(ws.id)]).output

    with connect(url) as conn:  # a worker beat 70 s ago: past INTEGRATIONS_STALLED_JOB_SECONDS, dead
        conn.execute("insert into procrastinate_workers (last_heartbeat) values (now() - interval '70 seconds')")
        conn.commit()
    html = page(server, ws.tenant_id)
    assert "no worker alive (last heartbeat 1m ago)" in html and 'class="banner ok"' not in html

    with connect(url) as conn:
        conn.execute("insert into procrastinate_workers (last_heartbeat) values (now())")
        conn.commit()
    try:
        html = page(server, ws.tenant_id)
        assert "no worker alive" not in html and "1 worker(s) alive" in html
        assert re.search(r'class="banner ok">all \d+ capabilities healthy', html)
        output = CliRunner().invoke(cli, ["status", "--connection", str(ws.id)]).output
        assert "workers: 1 alive" in output and "NO WORKER ALIVE" not in output
    finally:
        with connect(url) as conn:
            conn.execute("delete from procrastinate_workers")
            conn.commit()
