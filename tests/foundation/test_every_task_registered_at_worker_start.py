"""Every task of every provider is registered in every worker at start (DESIGN.md, Runtime).

A worker imports `worker.app` and then the app's import paths, nothing else. A task whose module
those imports miss is unknown to such a worker: its jobs fail with TaskNotFound (issue 10 item 5:
`integrations worker --burst --queue normalize` failed every normalize job).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

import worker
from tests.fixtures.accounts import connect_account
from tests.gmail.conftest import gsb  # noqa: F401 (fixture)
from worker.providers.google.capabilities import (
    CALENDAR_EVENTS,
    CALENDAR_READONLY,
    GMAIL_COMPOSE,
    GMAIL_READONLY,
    GMAIL_SEND,
)

WORKER_ROOT = Path(worker.__file__).parent
INTEGRATIONS = Path(sys.executable).parent / "integrations"

# what a worker process has registered after the imports `integrations worker` makes
WORKER_VIEW = """
import json, sys
from worker.app import app
app.perform_import_paths()
from worker.registry import all_providers
by_name = [p.task_name(c.task) for p in all_providers() for c in p.capabilities.values() if c.task]
by_name += [p.task_name(a.task) for p in all_providers() for a in p.actions.values()]
print(json.dumps({
    "tasks": {name: task.queue for name, task in app.tasks.items()},
    "periodic": sorted(p.task.name for p in app.periodic_registry.periodic_tasks.values()),
    "modules": sorted(m for m in sys.modules if m == "worker" or m.startswith("worker.")),
    "deferred_by_name": sorted(set(by_name)),
}))
"""


def worker_view() -> dict:
    done = subprocess.run([sys.executable, "-c", WORKER_VIEW], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def defined_tasks() -> dict[str, list[str]]:
    """module -> task names declared with `@<app or blueprint>.task(name=...)` anywhere in worker/."""
    found: dict[str, list[str]] = {}
    for path in sorted(WORKER_ROOT.rglob("*.py")):
        module = ".".join(("worker",) + path.relative_to(WORKER_ROOT).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for decorator in node.decorator_list:
                call = decorator if isinstance(decorator, ast.Call) else None
                if call is None or not isinstance(call.func, ast.Attribute) or call.func.attr != "task":
                    continue
                names = [k.value.value for k in call.keywords if k.arg == "name" and isinstance(k.value, ast.Constant)]
                found.setdefault(module, []).append(names[0] if names else node.name)
    return found


def test_every_task_defined_in_the_code_is_registered_by_the_imports_a_worker_makes():
    view = worker_view()
    defined = defined_tasks()
    assert "worker.tasks.normalize" in defined  # the scan sees the task modules
    not_imported = sorted(set(defined) - set(view["modules"]))
    assert not_imported == [], f"task modules a worker never imports: {not_imported}"
    registered = set(view["tasks"])
    registered_plain = registered | {name.rpartition(":")[2] for name in registered}  # blueprint namespaces
    unknown = sorted(name for names in defined.values() for name in names if name not in registered_plain)
    assert unknown == [], f"tasks a fresh worker does not know: {unknown}"
    assert sorted(set(view["deferred_by_name"]) - registered) == []
    for name in ("normalize", "normalize_periodic", "retry_stalled_jobs", "schedule_live_syncs",
                 "reconcile_due", "google:sync_inbox_live", "google:sync_calendar_live"):
        assert name in registered
    assert {"normalize_periodic", "retry_stalled_jobs", "schedule_live_syncs"} <= set(view["periodic"])


def _jobs(url: str, ids: list[int]) -> dict[int, tuple[str, str]]:
    """job id → (task, status); a job that ran, failed and waits for its retry counts as `retrying`."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("select id, task_name, status, attempts from procrastinate_jobs where id = any(%s)",
                            (ids,)).fetchall()
    return {row[0]: (row[1], "retrying" if row[2] == "todo" and row[3] > 0 else row[2]) for row in rows}


def _run_bare_worker(url: str, queue: str) -> str:
    """`integrations worker --burst --queue Q` as an operator starts it: a new process, a new directory."""
    env = {**os.environ, "INTEGRATIONS_DATABASE_URL": url}
    done = subprocess.run([str(INTEGRATIONS), "worker", "--burst", "--queue", queue, "--concurrency", "1"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stderr


def _examples(cid: str) -> dict[str, dict]:
    """Arguments that make each job succeed; jobs of the actions come from their own entry points."""
    return {
        "google:sync_inbox_live": {"connection_id": cid},
        "google:sync_calendar_live": {"connection_id": cid},
        "retry_stalled_jobs": {"timestamp": 0},
        "delete_old_jobs": {"timestamp": 0},
        "schedule_live_syncs": {"timestamp": 0},
        "reconcile_due": {"timestamp": 0},
        "reconcile_connection": {"connection_id": str(uuid.uuid4())},  # gone: nothing to do
        "normalize": {},
        "normalize_periodic": {"timestamp": 0},
    }


async def _defer_one_job_of_each_kind(url: str, sandbox, task_names: set[str]) -> tuple[dict[str, list[int]], set[int]]:
    """A job of every task (by queue), and which of them have arguments that make them succeed.

    A task this test has no example for (a provider added later) is deferred without arguments:
    its job may fail on them, but a worker must still know its name."""
    import importlib

    from worker.api import create_meeting, send_email, sync_once
    from worker.app import open_app_async

    email = f"bare-{uuid.uuid4().hex[:6]}@tenant.example"
    capabilities = {"sync_inbox_live": None, "sync_inbox_once": None, "send_email": {"drafts": True},
                    "sync_calendar_live": {"calendars": ["primary"], "two_way": True}, "sync_calendar_once": None}
    connection_id, _ = connect_account(sandbox, url, email, capabilities,
                                       [GMAIL_READONLY, GMAIL_SEND, GMAIL_COMPOSE, CALENDAR_READONLY, CALENDAR_EVENTS])
    cid = str(connection_id)
    for module in defined_tasks():  # this test process knows every task, whatever a worker imports
        importlib.import_module(module)
    examples = _examples(cid)
    ids: list[int] = []
    async with open_app_async(url) as app:
        registered: dict[str, set[str]] = {}  # blueprint tasks: `provider:name`, one per provider
        for name in app.tasks:
            registered.setdefault(name.rpartition(":")[2], set()).add(name)
        task_names = {full for name in task_names for full in registered.get(name, {name})}
        for task in sorted(task_names):
            if task in examples:
                ids.append(await app.tasks[task].defer_async(**examples[task]))
    ids.append((await sync_once(url, cid, "sync_inbox_once", {"max": 5}))["job_id"])
    ids.append((await sync_once(url, cid, "sync_calendar_once", {"from": "2030-01-01", "to": "2030-02-01"}))["job_id"])
    ids.append((await send_email(url, cid, to=["bob@ext.example"], subject="hello", text="hi"))["job_id"])
    ids.append((await create_meeting(url, cid, title="Kick-off", start="2030-01-02T09:00:00Z",
                                     end="2030-01-02T10:00:00Z"))["job_id"])
    must_succeed = set(ids)
    covered = {_task_of(url, job_id) for job_id in ids}
    async with open_app_async(url) as app:
        for task in sorted(task_names - covered):
            ids.append(await app.tasks[task].defer_async())
    jobs: dict[str, list[int]] = {}
    for job_id in ids:
        jobs.setdefault(app.tasks[_task_of(url, job_id)].queue, []).append(job_id)
    return jobs, must_succeed


def _task_of(url: str, job_id: int) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute("select task_name from procrastinate_jobs where id = %s", (job_id,)).fetchone()[0]


@pytest.mark.asyncio
async def test_a_bare_worker_per_queue_runs_every_kind_of_job_of_its_queue(gsb, make_database, settings_env,  # noqa: F811
                                                                         tmp_path, monkeypatch):
    url = make_database.create()
    monkeypatch.chdir(tmp_path)  # an operator's own directory
    task_names = {name for names in defined_tasks().values() for name in names}
    jobs, must_succeed = await _defer_one_job_of_each_kind(url, gsb, task_names)
    assert {"default", "maintenance", "normalize"} <= set(jobs)
    for queue in sorted(jobs):
        log = _run_bare_worker(url, queue)
        assert "Task was not found" not in log, log[-4000:]
        outcome = _jobs(url, jobs[queue])
        assert sorted(outcome) == sorted(jobs[queue])
        assert {job_id: status for job_id, (_, status) in outcome.items() if job_id in must_succeed} == \
            {job_id: "succeeded" for job_id in jobs[queue] if job_id in must_succeed}, (outcome, log[-4000:])
        assert all(status != "todo" for _, status in outcome.values()), outcome
