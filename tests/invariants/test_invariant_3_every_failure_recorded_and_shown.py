"""Invariant 3: every failure of a capability run — whatever its exception type — is recorded on
its `sync_state` with backoff and shown by `status`; nothing fails silently.

The failures are injected through real runs: a database trigger that refuses the staged rows
(a psycopg error the sync code never expects) and a manual run whose parameters fail validation
(a pydantic `ValidationError`).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import pytest
from click.testing import CliRunner

from tests.gmail.conftest import SYNC_QUEUES, gsb, mailbox  # noqa: F401 (fixtures)
from worker.app import open_app_async
from worker.cli import cli
from worker.db.connect import connect
from worker.settings import get_settings
from worker.store import query

pytestmark = pytest.mark.asyncio


async def status(*args) -> tuple[int, str]:
    get_settings.cache_clear()
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["status", *args])
    return result.exit_code, result.output


def refuse_raw_rows_of(url: str, connection_id) -> str:
    """A trigger that makes every raw row insert of this connection raise; returns its name."""
    name = "refuse_" + uuid.uuid4().hex[:8]
    with connect(url) as conn:
        conn.execute(f"create function integrations.{name}() returns trigger language plpgsql as $$"
                     f" begin raise exception 'injected: storage refused the page'; end $$")
        conn.execute(f"create trigger {name} before insert on integrations.raw_records for each row"
                     f" when (new.connection_id = '{connection_id}') execute function integrations.{name}()")
        conn.commit()
    return name


def drop_trigger(url: str, name: str) -> None:
    with connect(url) as conn:
        conn.execute(f"drop trigger if exists {name} on integrations.raw_records")
        conn.execute(f"drop function if exists integrations.{name}()")
        conn.commit()


def jobs(url: str, connection_id, task: str) -> list[str]:
    with connect(url) as conn:
        return [r["status"] for r in conn.execute(
            "select status from procrastinate_jobs where task_name = %s and args ->> 'connection_id' = %s"
            " order by id", (task, str(connection_id))).fetchall()]


async def test_a_database_error_in_a_live_run_is_recorded_backs_off_and_is_shown_by_status(mailbox):
    box = mailbox()
    box.add("first")
    interval = get_settings().sync_interval_seconds
    trigger = refuse_raw_rows_of(box.url, box.id)
    try:
        await box.run_live()
        state = box.state()
        assert state["status"] == "failing"
        assert state["consecutive_failures"] == 1
        assert "injected: storage refused the page" in state["last_error"]
        assert state["next_run_at"] - state["last_attempt_at"] == timedelta(seconds=interval)

        await box.run_live()  # the next attempt fails too and waits twice as long
        state = box.state()
        assert state["status"] == "failing" and state["consecutive_failures"] == 2
        assert state["next_run_at"] - state["last_attempt_at"] == timedelta(seconds=2 * interval)
        with connect(box.url) as conn:
            future = conn.execute("select %s > now() as f", (state["next_run_at"],)).fetchone()["f"]
            due = conn.execute(query("sync_state.due_live"),
                               {"capabilities": ["sync_inbox_live"], "push_poll_seconds": 900}).fetchall()
        assert future is True
        assert (box.id, "sync_inbox_live") not in {(r["connection_id"], r["capability"]) for r in due}
        assert jobs(box.url, box.id, "google:sync_inbox_live") == ["failed", "failed"]

        code, text = await status("--connection", str(box.id))
        assert code == 0, text
        [line] = [line for line in text.splitlines() if line.strip().startswith("sync_inbox_live")]
        assert " failing " in line and "failures 2" in line
        assert "last error: " in text and "injected: storage refused the page" in text
        assert "retrying automatically at" in text and "backing off after 2 failures" in text
        code, raw = await status("--connection", str(box.id), "--json")
        [entry] = json.loads(raw)
        live = {c["capability"]: c for c in entry["capabilities"]}["sync_inbox_live"]
        assert live["status"] == "failing" and live["consecutive_failures"] == 2
    finally:
        drop_trigger(box.url, trigger)

    await box.run_live()  # the cause is gone: the next run succeeds and clears the record
    state = box.state()
    assert state["status"] == "ok" and state["consecutive_failures"] == 0 and state["last_error"] is None
    assert len(box.heads()) == 1


async def test_a_validation_error_in_a_manual_run_is_recorded_and_shown_by_status(mailbox):
    box = mailbox()
    run_id = uuid.uuid4().hex
    async with open_app_async(box.url) as app:
        # parameters that bypassed the CLI's validation (an old job, a script deferring directly)
        await app.tasks["google:sync_inbox_once"].defer_async(
            connection_id=str(box.id), params={"max": "lots"}, run_id=run_id)
        await app.run_worker_async(concurrency=1, wait=False, queues=SYNC_QUEUES)
    state = box.state("sync_inbox_once", f"run:{run_id}")
    assert state["status"] == "failing" and state["consecutive_failures"] == 1
    assert "max" in state["last_error"] and "ValidationError" in state["last_error"]
    assert jobs(box.url, box.id, "google:sync_inbox_once") == ["failed"]

    code, text = await status("--connection", str(box.id))
    assert code == 0, text
    [line] = [line for line in text.splitlines() if f"[run:{run_id}]" in line]
    assert " failing " in line and "failures 1" in line
    assert "ValidationError" in text
    assert f"this manual run is not retried: fix the cause, then run `integrations sync once --connection {box.id}" \
           " --capability sync_inbox_once" in text
