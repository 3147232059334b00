"""`integrations serve` tests: the real command in a subprocess on 127.0.0.1, a database of its own
(its jobs are counted and drained without anyone else's), the providers' sandboxes over HTTP.

One server and one database for the whole directory (each costs seconds to start); tests isolate by
workspace / account, with ids unique in the database.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from worker.app import open_app_async
from worker.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
KEYS = "k1:" + "B" * 43 + "="
ADMIN_TOKEN = "admin-token-for-the-serve-tests-0123456789"
CONNECT_TOKEN = "connect-token-for-the-serve-tests-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A running `integrations serve`; `log()` is what it wrote (warnings included)."""

    def __init__(self, env: dict[str, str], log: Path, args: tuple[str, ...] = ()) -> None:
        self.port = int(env["INTEGRATIONS_PUBLIC_URL"].rsplit(":", 1)[1])
        self.url = env["INTEGRATIONS_PUBLIC_URL"]
        self.log_path = log
        with open(log, "w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "worker.cli.__main__", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 *args],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited {self.proc.returncode}: {self.log()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"serve did not answer /healthz: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture(scope="session")
def serve_db(make_database) -> str:
    return make_database.create()


@pytest.fixture(scope="session")
def crm_url() -> str:
    """Where the CRM's web UI would be: the connect flow's allowed `return_to` lies below it."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def serve_env(serve_db, tmp_path_factory, crm_url, sandbox_server, slack_sandbox_server, twilio_sandbox_server,
              quickbooks_sandbox_server, microsoft_sandbox_server) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTEGRATIONS_")}
    # sandbox_server: Google's (consent for the connect flow, Gmail pushes, the certs of their OIDC tokens)
    for sandbox in (sandbox_server, slack_sandbox_server, twilio_sandbox_server, quickbooks_sandbox_server,
                    microsoft_sandbox_server):
        env.update(sandbox.env())
    env.update({
        "INTEGRATIONS_DATABASE_URL": serve_db,
        "INTEGRATIONS_DATA_DIR": str(tmp_path_factory.mktemp("serve-data")),
        "INTEGRATIONS_ENCRYPTION_KEYS": KEYS,
        "INTEGRATIONS_PUBLIC_URL": f"http://127.0.0.1:{free_port()}",
        "INTEGRATIONS_ADMIN_TOKEN": ADMIN_TOKEN,
        "INTEGRATIONS_CONNECT_TOKEN": CONNECT_TOKEN,
        "INTEGRATIONS_ALLOWED_RETURN_URLS": f"{crm_url}/connected",
    })
    return env


@pytest.fixture(scope="session")
def server(serve_env, tmp_path_factory):
    running = Server(serve_env, tmp_path_factory.mktemp("serve-log") / "serve.log")
    yield running
    running.stop()


@pytest.fixture
def in_env(serve_env, monkeypatch):
    """This process's settings = the server's (same database, same encryption key)."""
    for name, value in serve_env.items():
        if name.startswith("INTEGRATIONS_"):
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield serve_env
    get_settings.cache_clear()


def jobs(url: str, connection_id, task: str | None = None) -> list[tuple]:
    """(task_name, status) of every job of the connection, any status."""
    with psycopg.connect(url) as conn:
        return conn.execute("select task_name, status from procrastinate_jobs where args ->> 'connection_id' = %s"
                            " and (%s::text is null or task_name = %s) order by id",
                            (str(connection_id), task, task)).fetchall()


def received(url: str, connection_id) -> dict[str, int]:
    """capability -> notifications recorded as received."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("select capability, notifications from integrations.push_received"
                            " where connection_id = %s", (connection_id,)).fetchall()
    return dict(rows)


async def drain(url: str) -> None:
    """Run every ready job of the server's database, then return (a worker in burst)."""
    async with open_app_async(url) as app:
        await app.run_worker_async(concurrency=2, wait=False, queues=["default"])


@pytest.fixture
def a_live_worker(serve_env):
    """A worker heartbeat on the server's database (no worker alive is a red banner on /status)."""
    with psycopg.connect(serve_env["INTEGRATIONS_DATABASE_URL"]) as conn:
        [(worker_id,)] = conn.execute("insert into procrastinate_workers (last_heartbeat) values (now())"
                                      " returning id").fetchall()
    yield worker_id
    with psycopg.connect(serve_env["INTEGRATIONS_DATABASE_URL"]) as conn:
        conn.execute("delete from procrastinate_workers where id = %s", (worker_id,))
