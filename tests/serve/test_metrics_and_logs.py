"""Prometheus metrics and JSON logs of a real sync: `integrations worker --metrics-port` in a
subprocess with INTEGRATIONS_LOG_FORMAT=json runs what a Slack push to `integrations serve` enqueued;
both processes' `/metrics` are scraped with prometheus_client's own parser."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.serve.conftest import ADMIN_TOKEN, KEYS, ROOT, free_port
from tests.slack.conftest import Workspace
from worker.db.connect import connect

pytestmark = pytest.mark.asyncio

UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")

# every family an operator alerts or graphs on, and its type
SERVE_FAMILIES = {
    "integrations_database_up": "gauge",
    "integrations_sync_last_success_age_seconds": "gauge",
    "integrations_sync_oldest_due_seconds": "gauge",
    "integrations_sync_overdue": "gauge",
    "integrations_sync_live_capabilities": "gauge",
    "integrations_sync_capabilities": "gauge",
    "integrations_sync_interval_seconds": "gauge",
    "integrations_connections": "gauge",
    "integrations_item_failures_open": "gauge",
    "integrations_quarantined_rows": "gauge",
    "integrations_jobs": "gauge",
    "integrations_outbound_actions": "gauge",
    "integrations_workers_alive": "gauge",
    "integrations_worker_heartbeat_age_seconds": "gauge",
    "integrations_webhook_notifications": "counter",
    "integrations_quota_used_units_last_minute": "gauge",
    "integrations_quota_limit_units_per_minute": "gauge",
}
WORKER_FAMILIES = {
    **SERVE_FAMILIES,
    "integrations_sync_runs": "counter",
    "integrations_sync_failures": "counter",
    "integrations_provider_requests": "counter",
    "integrations_quota_units": "counter",
    "integrations_normalize_duration_seconds": "histogram",
    "integrations_normalize_rows_changed": "counter",
}


class MetricsWorker:
    """`integrations worker -v --metrics-port P` (JSON logs) on the serve tests' database."""

    def __init__(self, env: dict[str, str], log_path) -> None:
        self.port, self.log_path = free_port(), log_path
        with open(log_path, "w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "worker.cli.__main__", "worker", "-v", "--queue", "default",
                 "--metrics-port", str(self.port)],
                cwd=ROOT, env={**env, "INTEGRATIONS_LOG_FORMAT": "json"}, stdout=out, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}/metrics"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"worker exited: {self.log()}"
            try:
                if httpx.get(self.url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"the worker's metrics port never answered: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture
def metrics_worker(serve_env, tmp_path):
    worker = MetricsWorker(serve_env, tmp_path / "worker.log")
    yield worker
    worker.stop()


def scrape(url: str, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = httpx.get(url, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return {family.name: family for family in text_string_to_metric_families(answer.text)}


def value(families: dict, name: str, sample: str | None = None, **labels) -> float:
    """The sum of the samples of `name` (default: the family's own) whose labels include `labels`."""
    family = families[name]
    wanted = sample or (name + "_total" if family.type == "counter" else name)
    return sum(s.value for s in family.samples if s.name == wanted and labels.items() <= s.labels.items())


def assert_private(families: dict, personal: set[str]) -> None:
    """No label value is a tenant, account or connection: nothing UUID-shaped, no address."""
    for family in families.values():
        for sample in family.samples:
            for label, text in sample.labels.items():
                assert "@" not in text and not UUID.search(text) and text not in personal, \
                    f"{sample.name}{{{label}={text!r}}} carries personal data"


async def test_metrics_need_the_admin_token(server):
    assert httpx.get(server.url + "/metrics").status_code == 401
    wrong = httpx.get(server.url + "/metrics", headers={"Authorization": "Bearer not-the-admin-token-0123456789"})
    assert wrong.status_code == 401
    assert "integrations_database_up 1.0" in httpx.get(
        server.url + "/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).text


async def test_a_synced_push_shows_in_every_metric_family_without_personal_data(server, in_env, slack_sandbox,
                                                                                metrics_worker):
    url = in_env["INTEGRATIONS_DATABASE_URL"]
    ws = Workspace(slack_sandbox, url, {"sync_channels_live": None})
    body_text = f"quarterly numbers are confidential {uuid.uuid4().hex}"
    address = f"ana.{uuid.uuid4().hex[:6]}@{ws.team.lower()}.example"
    ws.say(ws.channel("general"), body_text, ws.user("ana", email=address))
    # a capability name that is data (a row of a provider's bug, an operator's typo): exported redacted
    with connect(url) as conn:
        conn.execute("insert into integrations.sync_state (connection_id, capability, stream, status)"
                     " values (%s, %s, '', 'failing')", (ws.id, address))
        conn.commit()
    body, headers = slack_sandbox.event_request(ws.team, {"type": "message", "text": body_text})
    assert httpx.post(server.url + "/webhooks/slack/events", content=body, headers=headers).status_code == 200

    deadline = time.monotonic() + 90
    while not (ws.states().get("") or {}).get("last_success_at"):
        assert time.monotonic() < deadline, f"the worker did not sync the push: {metrics_worker.log()}"
        time.sleep(0.2)

    served = scrape(server.url + "/metrics", ADMIN_TOKEN)
    worked = scrape(metrics_worker.url)
    for families, expected in ((served, SERVE_FAMILIES), (worked, WORKER_FAMILIES)):
        assert {name: families[name].type for name in expected if name in families} == expected

    slack = {"provider": "slack"}
    assert value(served, "integrations_webhook_notifications", **slack, verdict="accepted") >= 1
    assert value(served, "integrations_sync_capabilities", **slack, capability="sync_channels_live", status="ok") >= 1
    assert value(served, "integrations_sync_live_capabilities", **slack, capability="sync_channels_live") >= 1
    assert value(served, "integrations_connections", **slack, status="active") >= 1
    assert value(served, "integrations_jobs", queue="default", task="slack:sync_channels_live", status="succeeded") >= 1
    assert value(served, "integrations_workers_alive") >= 1
    assert value(served, "integrations_sync_capabilities", **slack, capability="redacted") >= 1
    assert value(worked, "integrations_sync_runs", **slack, capability="sync_channels_live", outcome="ok") >= 1
    assert value(worked, "integrations_provider_requests", **slack, status="200") >= 1
    assert value(worked, "integrations_quota_units", **slack) >= 1
    assert value(worked, "integrations_quota_used_units_last_minute", **slack) >= 1
    assert value(worked, "integrations_quota_limit_units_per_minute", **slack) > 0
    assert value(worked, "integrations_workers_alive") >= 1

    with connect(url) as conn:
        known = conn.execute("select id::text as id, tenant_id::text as tenant, account_id from"
                             " integrations.connections").fetchall()
    personal = {r["id"] for r in known} | {r["tenant"] for r in known} | {r["account_id"] for r in known}
    for families in (served, worked):
        assert_private(families, personal)

    # the worker's JSON log: one object a line, the job's fields on its lines, no secret, no content
    metrics_worker.stop()
    lines = [line for line in metrics_worker.log().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is JSON
    ours = [e for e in entries if e.get("connection_id") == str(ws.id)]
    assert any(e.get("provider") == "slack" and e.get("capability") == "sync_channels_live" and e.get("job_id")
               for e in ours), lines[-20:]
    tokens = {v for k, v in ws.credentials().items() if isinstance(v, str) and ("token" in k or "secret" in k)}
    assert tokens, "the fixture's credentials hold no token to look for"
    secrets = tokens | {body_text, address, KEYS.split(":", 1)[1], ADMIN_TOKEN, slack_sandbox.signing_secret,
                        in_env.get("INTEGRATIONS_SLACK_CLIENT_SECRET") or slack_sandbox.client_secret}
    log = metrics_worker.log()
    for secret in secrets:
        assert secret not in log, f"{secret[:6]}... is in the worker's log"

