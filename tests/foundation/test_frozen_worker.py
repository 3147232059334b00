"""Issue 31 item 20: a worker frozen inside a transaction (SIGSTOP, a paused VM) kept its locks for
ever, and the next defer of that capability waited on them with no timeout. Now a worker's sessions
end when idle in a transaction longer than INTEGRATIONS_WORKER_IDLE_IN_TRANSACTION_SECONDS, and a
defer path waits at most INTEGRATIONS_DEFER_LOCK_TIMEOUT_SECONDS for a lock, then fails saying so."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.fixtures.killable import wait_for
from tests.foundation.frozen_tasks import defer_and_idle_in_transaction
from tests.serve.conftest import Server, free_port
from worker.app import open_app_async
from worker.connections import create_connection
from worker.db.connect import connect

ROOT = Path(__file__).resolve().parents[2]
KEYS = "k1:" + "A" * 43 + "="
CAPABILITY, TASK = "sync_inbox_live", "google:sync_inbox_live"


class Frozen:
    """A worker process frozen (SIGSTOP) inside a transaction holding the capability's queueing lock."""

    def __init__(self, url: str, env: dict, log: Path, provider: str = "google", capability: str = CAPABILITY,
                 account_id: str | None = None) -> None:
        self.url, self.env, self.capability = url, env, capability
        self.account_id = account_id or f"{uuid.uuid4().hex[:8]}@x.test"
        with connect(url) as conn:
            row = create_connection(conn, tenant_id=uuid.uuid4(), profile_id=uuid.uuid4() if provider == "google"
                                    else None, provider=provider, account_id=self.account_id,
                                    capabilities={capability: None})
            conn.commit()
        self.connection_id, marker = str(row["id"]), uuid.uuid4().hex
        with open(log, "w") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "tests.foundation.frozen_tasks", "worker", "--queue",
                                          "frozen", "--concurrency", "1"], cwd=ROOT, env=env, stdout=out,
                                         stderr=subprocess.STDOUT)
        import asyncio

        async def defer() -> None:
            async with open_app_async(url, max_size=2):
                await defer_and_idle_in_transaction.defer_async(connection_id=self.connection_id,
                                                                capability=capability, provider=provider, marker=marker)
        asyncio.run(defer())
        assert wait_for(lambda: self._marked(marker), timeout=60), log.read_text()[-3000:]
        os.kill(self.proc.pid, signal.SIGSTOP)

    def _marked(self, marker: str) -> bool:
        with psycopg.connect(self.url) as conn:
            exists = conn.execute("select to_regclass('frozen_runs') is not null").fetchone()[0]
            return exists and conn.execute("select count(*) from frozen_runs where marker = %s",
                                           (marker,)).fetchone()[0] == 1

    def sync_now(self) -> subprocess.CompletedProcess:
        """`integrations sync now`, a defer path, for the frozen capability."""
        return subprocess.run([sys.executable, "-m", "worker.cli.__main__", "sync", "now", "--connection",
                               self.connection_id, "--capability", CAPABILITY], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=30)

    def queued(self, task: str = TASK) -> list[str]:
        with psycopg.connect(self.url) as conn:
            return [r[0] for r in conn.execute("select status from procrastinate_jobs where task_name = %s",
                                               (task,)).fetchall()]

    def stop(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


def environment(url: str, tmp_path: Path, **settings: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTEGRATIONS_")}
    return {**env, "INTEGRATIONS_DATABASE_URL": url, "INTEGRATIONS_ENCRYPTION_KEYS": KEYS,
            "INTEGRATIONS_DATA_DIR": str(tmp_path / "data"), **settings}


@pytest.fixture
def frozen(make_database, tmp_path, request):
    url = make_database.create()
    worker = Frozen(url, environment(url, tmp_path, **request.param), tmp_path / "worker.log")
    yield worker
    worker.stop()


@pytest.mark.parametrize("frozen", [{"INTEGRATIONS_WORKER_IDLE_IN_TRANSACTION_SECONDS": "600",
                                     "INTEGRATIONS_DEFER_LOCK_TIMEOUT_SECONDS": "1"}], indirect=True)
def test_a_defer_behind_a_frozen_worker_fails_clearly_within_the_lock_timeout(frozen):
    done = frozen.sync_now()
    assert done.returncode == 1, (done.stdout, done.stderr[-2000:])
    assert "lock" in done.stderr and "INTEGRATIONS_DEFER_LOCK_TIMEOUT_SECONDS" in done.stderr
    assert "Traceback" not in done.stderr
    assert frozen.queued() == []  # nothing half-queued


@pytest.mark.parametrize("frozen", [{"INTEGRATIONS_WORKER_IDLE_IN_TRANSACTION_SECONDS": "1",
                                     "INTEGRATIONS_DEFER_LOCK_TIMEOUT_SECONDS": "60"}], indirect=True)
def test_the_frozen_workers_transaction_is_ended_by_the_idle_timeout_and_the_defer_goes_through(frozen):
    done = frozen.sync_now()
    assert done.returncode == 0, (done.stdout, done.stderr[-2000:])
    assert frozen.queued() == ["todo"]  # the frozen transaction's job was rolled back, this one queued


def test_serve_answers_503_for_a_push_it_cannot_enqueue_behind_a_frozen_worker(make_database, tmp_path):
    """serve's enqueue is a defer path too: a push whose job waits on the frozen worker's lock is
    answered 503 (the provider retries) within the lock timeout, instead of holding a handler for ever."""
    url, realm = make_database.create(), str(uuid.uuid4().int)[:16]
    verifier = "verifier-" + uuid.uuid4().hex
    env = environment(url, tmp_path, INTEGRATIONS_WORKER_IDLE_IN_TRANSACTION_SECONDS="600",
                      INTEGRATIONS_DEFER_LOCK_TIMEOUT_SECONDS="1", INTEGRATIONS_PUBLIC_URL=f"http://127.0.0.1:{free_port()}",
                      INTEGRATIONS_QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN=verifier)
    frozen = Frozen(url, env, tmp_path / "worker.log", provider="quickbooks", capability="sync_accounting_live",
                    account_id=realm)
    server = Server(env, tmp_path / "serve.log")
    try:
        body = json.dumps([{"specversion": "1.0", "id": str(uuid.uuid4()), "source": "intuit.test",
                            "type": "qbo.invoice.created.v1", "intuitentityid": "7", "intuitaccountid": realm,
                            "data": {}}]).encode()
        signature = base64.b64encode(hmac.new(verifier.encode(), body, hashlib.sha256).digest()).decode()
        answer = httpx.post(server.url + "/webhooks/quickbooks", content=body, timeout=30,
                            headers={"intuit-signature": signature, "Content-Type": "application/json"})
        assert answer.status_code == 503 and answer.headers.get("retry-after"), answer.text
        assert "Traceback" not in server.log()
        assert httpx.get(server.url + "/healthz", timeout=10).status_code == 200
        assert frozen.queued("quickbooks:sync_accounting_live") == []
    finally:
        server.stop()
        frozen.stop()
