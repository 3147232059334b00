"""The demo's push step: new mail reaches the product tables by Gmail push, as it does when deployed.

    the real `integrations serve` in a subprocess on 127.0.0.1 (a free port)
    -> the Google sandbox's Pub/Sub pushes go to it; the demo mailboxes get their Gmail watches
    -> a worker runs in the background (default and normalize queues), as a deployed one does
    -> one message arrives in Ana's Gmail: the sandbox publishes, serve verifies the push's OIDC
       token and enqueues the inbox sync, the worker syncs and the normalize it asks for builds the
       product tables; the demo waits for the message's row in product.emails and prints how long.

`run.py` holds this piece as `Demo.push` and calls `run` after the lifecycle; `stop` (in the demo's
`finally`) ends serve on every path; the worker ends inside `run`, on every path.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import httpx

from worker.demo.errors import DemoFailed
from worker.demo.world import ANA, DEMO_TENANT, PUSHED_MAIL, add_pushed_mail
from worker.optional import load_sandbox
from worker.store import query

GMAIL_PATH = "/webhooks/google/gmail"
QUEUES = ["default", "normalize"]  # a push's sync job and the normalize run its staged page asks for
SERVE_START_SECONDS = 30.0
CATCH_UP_SECONDS = 300.0  # the normalize runs the earlier syncs asked for (the demo normalized in the foreground)
ARRIVAL_SECONDS = 90.0  # push -> serve -> sync job -> a whole `dbt build` on a loaded machine
WORKER_STOP_SECONDS = 30.0
GRACEFUL_SECONDS = 10.0  # a job still running then (a dbt build) is aborted: procrastinate retries it later
LOG_TAIL = 40


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Serve:
    """`integrations serve` as a subprocess, its output in a log file shown when anything fails."""

    def __init__(self, env: dict[str, str]) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self._dir = tempfile.mkdtemp(prefix="integrations-demo-serve-")
        self.log_path = Path(self._dir) / "serve.log"
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "worker.cli.__main__", "serve", "--host", "127.0.0.1", "--port", str(port)],
                env={**env, "INTEGRATIONS_PUBLIC_URL": self.url}, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT)
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + SERVE_START_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DemoFailed(f"`integrations serve` exited with {self.proc.returncode} before answering"
                                 f" /healthz; its log:\n{self.log()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise DemoFailed(f"`integrations serve` did not answer {self.url}/healthz within {SERVE_START_SECONDS:.0f}s;"
                         f" its log:\n{self.log()}")

    def log(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-LOG_TAIL:]) or "(empty)"

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        """Terminate (SIGTERM: uvicorn shuts down), kill after 10 s; idempotent."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self._dir, ignore_errors=True)


class PushDemo:
    def __init__(self, say: Callable[[str], object], step: Callable[[str], object], concurrency: int) -> None:
        self.say, self.step, self.concurrency = say, step, concurrency
        self.serve: Serve | None = None

    def serve_env(self, db_url: str, sandbox) -> dict[str, str]:
        """This process's environment (the demo's sandbox settings are in it) with the database the
        demo uses and Google's push settings: the sandbox's Pub/Sub topic and push service account."""
        pubsub = load_sandbox("sandbox.google.pubsub", "`integrations demo`")
        return {**os.environ, "INTEGRATIONS_DATABASE_URL": db_url,
                "INTEGRATIONS_GOOGLE_PUBSUB_TOPIC": pubsub.TOPIC,
                "INTEGRATIONS_GOOGLE_PUSH_SERVICE_ACCOUNT": sandbox.pubsub.service_account,
                "INTEGRATIONS_GOOGLE_PUSH_AUDIENCE": ""}  # the endpoint's URL, as the sandbox signs

    def run(self, db_url: str, sandbox, google: dict[str, object]) -> dict:
        """The whole step; `google` is account -> connection id of the demo's Gmail mailboxes."""
        self.step("push: starting `integrations serve`, the web service providers push to")
        self.serve = Serve(self.serve_env(db_url, sandbox))
        self.say(f"serving on {self.serve.url} (INTEGRATIONS_PUBLIC_URL; pid {self.serve.proc.pid})")
        self.step("pointing the Google sandbox's Pub/Sub push subscription at serve; Gmail watches")
        sandbox.set_public_url(self.serve.url)
        self.say(f"Pub/Sub pushes go to {self.serve.url}{GMAIL_PATH} with an OIDC token serve verifies")
        result = asyncio.run(self._run(db_url, sandbox, google))
        from worker.db.connect import connect
        from worker.status import collect_status

        with connect(db_url) as conn:  # what `integrations status` shows for Ana's mailbox now
            [entry] = collect_status(conn, google[ANA])
        [inbox] = [c for c in entry["capabilities"] if c["capability"] == "sync_inbox_live" and not c["stream"]]
        self.say(f"integrations status: {ANA} sync_inbox_live push={inbox['push']}, "
                 f"{inbox['push_notifications']} notification(s), watch expires {inbox['watch_expires_at']:%Y-%m-%d}")
        result["push"] = inbox["push"]
        return result

    async def _run(self, db_url: str, sandbox, google: dict[str, object]) -> dict:
        from worker.app import open_app_async
        from worker.providers.google.push.gmail_watch import reconcile_gmail_watches
        from worker.store.connections import dict_connection

        async with open_app_async(db_url, max_size=self.concurrency + 6) as app:
            pool = app.connector.pool
            outcomes = await reconcile_gmail_watches(pool)
            watched = [account for account in google if sandbox.pubsub.watching(account) is not None]
            async with dict_connection(pool) as conn:
                renewed = (await (await conn.execute(query("demo.task_succeeded"),
                                                     {"task": "google:renew_push_watches"})).fetchone())["n"]
            held = ("already held: the periodic task renew_push_watches made it in an earlier worker run" if renewed
                    else "already held")
            for account, connection_id in google.items():
                self.say(f"{account}: Gmail watch {outcomes.get(str(connection_id)) or held}")
            if sorted(watched) != sorted(google):
                raise DemoFailed(f"Gmail watches missing for {', '.join(sorted(set(google) - set(watched)))}"
                                 f" ({outcomes})")
            self.say(f"{len(watched)} Gmail watches on the sandbox's topic; "
                     f"{sum(1 for o in outcomes.values() if o in ('created', 'renewed'))} made now")

            self.step(f"push: a worker in the background on the {' and '.join(QUEUES)} queues, as deployed")
            from worker.tasks.maintenance import retry_stalled_jobs_now

            stalled = await retry_stalled_jobs_now()  # a killed earlier run's `doing` jobs would hold their locks
            if stalled:
                self.say(f"{len(stalled)} jobs of a worker that stopped heartbeating are queued again")
            from worker.settings import WORKER_HEARTBEAT_SECONDS, get_settings

            worker = asyncio.create_task(app.run_worker_async(  # as `integrations worker` runs one
                concurrency=self.concurrency, wait=True, queues=QUEUES, install_signal_handlers=False,
                shutdown_graceful_timeout=GRACEFUL_SECONDS, name="demo-push-worker",
                update_heartbeat_interval=WORKER_HEARTBEAT_SECONDS,
                fetch_job_polling_interval=get_settings().worker_fetch_interval_seconds))
            try:
                await self._catch_up(pool, worker)
                result = await self._new_mail(pool, worker, sandbox, google[ANA])
                result["metrics"] = await asyncio.to_thread(self._scrape_metrics)  # while the worker runs
            finally:
                await self._stop_worker(worker)
            await self._show_jobs(pool, result, google[ANA])
            return result

    def _scrape_metrics(self) -> dict[str, float]:
        """What an operator's Prometheus reads from serve's `/metrics` now: the families and a few of
        the values the demo made move (the push's webhook verdict, the jobs, the sync lag)."""
        from prometheus_client.parser import text_string_to_metric_families

        token = os.environ.get("INTEGRATIONS_ADMIN_TOKEN")
        answer = httpx.get(self.serve.url + "/metrics", timeout=10.0,
                           headers={"Authorization": f"Bearer {token}"} if token else {})
        if answer.status_code != 200:
            raise DemoFailed(f"serve's /metrics answered {answer.status_code}")
        families = list(text_string_to_metric_families(answer.text))
        totals = {f.name: sum(s.value for s in f.samples if not s.name.endswith(("_created", "_bucket")))
                  for f in families}
        shown = ("integrations_webhook_notifications", "integrations_jobs", "integrations_sync_live_capabilities",
                 "integrations_connections", "integrations_workers_alive")
        self.say(f"serve's /metrics: {len(families)} families, e.g. "
                 + ", ".join(f"{name.removeprefix('integrations_')}={totals.get(name, 0):g}" for name in shown))
        return totals

    async def _ready(self, pool) -> dict[str, int]:
        async with pool.connection() as conn:
            rows = await (await conn.execute(query("demo.ready_jobs"), {"queues": QUEUES})).fetchall()
        return {task: n for task, n in rows}

    async def _catch_up(self, pool, worker: asyncio.Task) -> None:
        """Let the worker run what was already waiting (the normalize runs the earlier syncs asked
        for), so the push is timed on an idle worker, as a deployed one mostly is."""
        began = time.monotonic()
        waiting = await self._ready(pool)
        if waiting:
            self.say("first the jobs already waiting (the normalize runs the earlier syncs asked for): "
                     + ", ".join(f"{n} {task}" for task, n in waiting.items()))
        while (ready := await self._ready(pool)):
            self._check(worker)
            if time.monotonic() - began > CATCH_UP_SECONDS:
                raise DemoFailed(f"the worker did not catch up within {CATCH_UP_SECONDS:.0f}s: {ready}")
            await asyncio.sleep(0.2)
        if waiting:
            self.say(f"the worker ran them in {time.monotonic() - began:.1f}s; it is idle now")

    def _check(self, worker: asyncio.Task) -> None:
        if worker.done():
            error = None if worker.cancelled() else worker.exception()
            raise DemoFailed(f"the background worker stopped: {error!r}")
        if self.serve is not None and not self.serve.running:
            raise DemoFailed(f"`integrations serve` exited with {self.serve.proc.returncode}; its log:\n"
                             f"{self.serve.log()}")

    async def _new_mail(self, pool, worker: asyncio.Task, sandbox, connection_id) -> dict:
        from worker.store.connections import dict_connection

        self.step(f"push: new mail arrives in {ANA}'s Gmail")
        async with dict_connection(pool) as conn:
            after = (await (await conn.execute(query("demo.last_job_id"))).fetchone())["id"]
        seen = len(sandbox.webhooks.delivered)
        began = time.monotonic()
        message_id = await asyncio.to_thread(add_pushed_mail, sandbox)  # returns once the push is answered
        answered = time.monotonic() - began
        deliveries = [d for d in sandbox.webhooks.delivered[seen:] if d.url.endswith(GMAIL_PATH)]
        if not deliveries:
            raise DemoFailed("the sandbox published no Gmail push for the new mail (no watch, or no public URL)")
        statuses = [d.status for d in deliveries]
        if any(status != 200 for status in statuses):
            answer = deliveries[-1].answer.decode(errors="replace")[:200]
            raise DemoFailed(f"serve answered the Gmail push with {statuses} ({answer}); its log:\n{self.serve.log()}")
        self.say(f"the sandbox's Pub/Sub delivered {len(deliveries)} push to {GMAIL_PATH}: "
                 f"serve answered {statuses[0]} in {answered:.2f}s")

        row = None
        while row is None:
            self._check(worker)
            if time.monotonic() - began > ARRIVAL_SECONDS:
                async with dict_connection(pool) as conn:
                    jobs = await (await conn.execute(query("demo.jobs_since"), {"after": after})).fetchall()
                raise DemoFailed(f"'{PUSHED_MAIL}' did not reach product.emails within {ARRIVAL_SECONDS:.0f}s; jobs"
                                 f" since the push: {[(j['task_name'], j['status']) for j in jobs]}; serve's log:\n"
                                 f"{self.serve.log()}")
            await asyncio.sleep(0.2)
            async with dict_connection(pool) as conn:
                try:
                    row = await (await conn.execute(query("demo.email_by_message_id"),
                                                    {"tenant_id": DEMO_TENANT, "message_id": message_id})).fetchone()
                except Exception:  # noqa: BLE001 - product.emails mid-rebuild: look again
                    await conn.rollback()
        seconds = time.monotonic() - began
        self.say(f"new mail '{row['subject']}' arrived by push in {seconds:.1f}s "
                 "(Pub/Sub push -> serve -> sync job -> normalize)")

        async with dict_connection(pool) as conn:
            received = await (await conn.execute(query("demo.push_received"),
                                                 {"connection_id": connection_id})).fetchall()
        inbox = {r["capability"]: r for r in received}.get("sync_inbox_live")
        if inbox is None:
            raise DemoFailed("serve recorded no push received for the inbox sync (integrations.push_received)")
        self.say(f"integrations.push_received: {inbox['notifications']} notification(s) for {ANA}'s sync_inbox_live")
        return {"seconds": round(seconds, 2), "delivered": statuses[0], "answered_seconds": round(answered, 3),
                "subject": row["subject"], "message_id": message_id, "timeout": ARRIVAL_SECONDS,
                "notifications": inbox["notifications"], "after_job": after}

    async def _show_jobs(self, pool, result: dict, connection_id) -> None:
        """The jobs since the push, once the worker stopped: serve's sync job and the normalize it led to."""
        from worker.store.connections import dict_connection

        async with dict_connection(pool) as conn:
            jobs = await (await conn.execute(query("demo.jobs_since"), {"after": result.pop("after_job")})).fetchall()
        syncs = [j for j in jobs if j["connection_id"] == str(connection_id)]
        normalizes = [j for j in jobs if j["task_name"] == "normalize"]
        for job in syncs + normalizes:
            self.say(f"job {job['id']} {job['task_name']} {job['status']}"
                     + (" (enqueued by serve for the push)" if job in syncs else " (dbt; a staged page asks for a run)"))
        if not syncs:
            raise DemoFailed(f"no sync job of {ANA}'s connection was enqueued after the push: {jobs}")
        result["jobs"] = [(j["task_name"], j["status"]) for j in syncs + normalizes]

    async def _stop_worker(self, worker: asyncio.Task) -> None:
        """Cancel: procrastinate stops gracefully (a job still running after GRACEFUL_SECONDS is aborted)."""
        if not worker.done():
            worker.cancel()
        done, _ = await asyncio.wait({worker}, timeout=WORKER_STOP_SECONDS)
        if not done:
            raise DemoFailed(f"the background worker did not stop within {WORKER_STOP_SECONDS:.0f}s")
        if not worker.cancelled() and worker.exception() is not None:
            self.say(f"the background worker had stopped with {worker.exception()!r}")
        else:
            self.say("background worker stopped")

    def stop(self) -> None:
        if self.serve is not None:
            self.serve.stop()
