"""Running normalization the ways operators and analysts do: an analyst's new column filled for all
history by a re-process (without a single provider request), the worker task (serialized,
coalesced, off the event loop), and the URL -> profile environment."""

from __future__ import annotations

import asyncio
import re
import shutil
import uuid

import pytest

from tests.gmail.conftest import google_sandbox, gsb  # noqa: F401  (the session's sandbox, reset per test)
from tests.gmail.isolated import own_mailbox  # noqa: F401  (a connected account in a database of its own)
from tests.normalize.helpers import create_connection, dbt, make_message, query, stage_gmail
from worker.db.connect import connect
from worker.normalize import dbt_env


@pytest.fixture
def history(make_database, tmp_path_factory):
    """A database of this test's own with mail already normalized by the project as it is."""
    url = make_database.create(prefix="nz_extend")
    tenant = uuid.uuid4()
    with connect(url) as conn:
        mailbox = create_connection(conn, tenant, "me@acme.com")
        stage_gmail(conn, mailbox, tenant, {
            f"m{i}": make_message(subject=f"Note {i}", body=" ".join(["word"] * (i + 1)) + "\n") for i in range(12)})
        conn.commit()
    runs = tmp_path_factory.mktemp("dbt-runs")
    dbt(url, runs, command="run")
    return {"url": url, "runs": runs, "tenant": tenant, "mailbox": mailbox}


def _copy_project(destination):
    from worker.normalize import DBT_PROJECT_ROOT

    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy2(DBT_PROJECT_ROOT / name, destination / name)
    shutil.copytree(DBT_PROJECT_ROOT / "dbt_project", destination / "dbt_project")
    return destination


def test_a_column_added_to_a_model_is_filled_for_all_history_by_reprocess(history, tmp_path):
    # the analyst's change: one more column in product.emails, written in SQL
    project = _copy_project(tmp_path)
    model = project / "dbt_project/models/product/emails.sql"
    sql = model.read_text()
    marker = "        representative.snippet,\n"
    assert marker in sql
    model.write_text(sql.replace(marker, marker + "        (select count(*) from regexp_matches("
                                 "representative.body_text, '\\S+', 'g'))::int as body_word_count,\n"))

    dbt(history["url"], history["runs"], project_dir=project, full_refresh=True, select="emails")

    rows = query(history["url"], "select subject, body_word_count from product.emails order by subject")
    assert len(rows) == 12
    assert {r["subject"]: r["body_word_count"] for r in rows} == {f"Note {i}": i + 1 for i in range(12)}


def test_reprocess_makes_no_provider_request_where_a_sync_of_the_same_account_does(own_mailbox, tmp_path):  # noqa: F811
    """`integrations reprocess` runs with the sandbox configured as the provider and a connected
    account whose access token has expired: a sync of that account calls Google (the control),
    the reprocess calls nothing, not even the token endpoint, and still rebuilds every email."""
    import os
    import subprocess
    import sys

    box = own_mailbox()
    for i in range(3):
        box.add(f"Reprocessed {i}")
    box.sandbox.clear_requests()
    asyncio.run(box.run_live())
    assert box.sandbox.count_requests(method_id="gmail.users.messages.get") == 3, "the control: a sync calls Google"
    box.sandbox.expire_access_tokens(box.email)
    box.sandbox.clear_requests()

    env = {**os.environ, "INTEGRATIONS_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-m", "worker.cli.__main__", "reprocess"],
                          capture_output=True, text=True, env=env, timeout=600)

    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert box.sandbox.requests() == [], "re-processing reads raw_records only, never the provider"
    rows = query(box.url, "select subject from product.emails")
    assert sorted(r["subject"] for r in rows) == [f"Reprocessed {i}" for i in range(3)]


def _dbt_log_span(run_dir):
    """(first, last) timestamp of dbt's own log of one run (HH:MM:SS.ffffff, the same day)."""
    stamps = re.findall(r"^(?:\x1b\[0m)?(\d\d:\d\d:\d\d\.\d+) ", (run_dir / "logs/dbt.log").read_text(),
                        flags=re.MULTILINE)
    assert stamps, f"no timestamps in {run_dir}/logs/dbt.log"
    return stamps[0], stamps[-1]


def _job_status(url, job_ids):
    rows = query(url, "select id, status from procrastinate_jobs where id = any(%s)", (list(job_ids),))
    return {r["id"]: r["status"] for r in rows}


def test_the_worker_task_runs_dbt_serialized_and_coalesces_requests(history, monkeypatch, tmp_path):
    """Two normalize jobs on a worker with room for two at once: the second waits for the first
    (their dbt runs never overlap), a third request while one waits coalesces, and the event loop
    keeps running while dbt builds (a coroutine advances between dbt's output lines)."""
    import logging

    from worker.app import open_app_async
    from worker.settings import get_settings
    from worker.tasks.normalize import normalize, request_normalize

    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", history["url"])
    monkeypatch.setenv("INTEGRATIONS_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    with connect(history["url"]) as conn:
        stage_gmail(conn, history["mailbox"], history["tenant"], {"late-arrival": make_message(subject="Queued")})
        conn.commit()

    ticks = {"n": 0}
    ticks_at_lines: list[int] = []

    class OnDbtLine(logging.Handler):  # the task logs each dbt line as it arrives
        def emit(self, record):
            if record.getMessage().startswith("dbt: "):
                ticks_at_lines.append(ticks["n"])

    handler = OnDbtLine(level=logging.INFO)
    task_logger = logging.getLogger("worker.tasks.normalize")
    previous_level = task_logger.level
    task_logger.addHandler(handler)
    task_logger.setLevel(logging.INFO)

    async def wait_until(predicate):
        while not predicate():
            await asyncio.sleep(0.05)

    async def scenario():
        async with open_app_async(history["url"]) as app:
            first = await normalize.defer_async()
            coalesced = await request_normalize()  # the first is still waiting: nothing new is queued

            async def ticker():  # advances only while the event loop is free
                while True:
                    ticks["n"] += 1
                    await asyncio.sleep(0.01)

            beat = asyncio.create_task(ticker())
            worker = asyncio.create_task(app.run_worker_async(queues=["normalize"], concurrency=2))
            try:
                await wait_until(lambda: _job_status(history["url"], [first])[first] == "doing")
                second = await normalize.defer_async()  # while the first runs: allowed to wait
                await wait_until(lambda: set(_job_status(history["url"], [first, second]).values())
                                 <= {"succeeded", "failed"})
            finally:
                worker.cancel()
                beat.cancel()
                await asyncio.gather(worker, beat, return_exceptions=True)
            return first, second, coalesced

    try:
        first, second, coalesced = asyncio.run(scenario())
    finally:
        task_logger.removeHandler(handler)
        task_logger.setLevel(previous_level)
        get_settings.cache_clear()
    assert (normalize.lock, normalize.queueing_lock) == ("normalize", "normalize")
    assert coalesced is False, "a second request while one waits coalesces"
    assert _job_status(history["url"], [first, second]) == {first: "succeeded", second: "succeeded"}
    assert query(history["url"], "select count(*) as n from product.emails where subject = 'Queued'")[0]["n"] == 1
    runs = sorted((tmp_path / "data/dbt/runs").iterdir())
    assert len(runs) >= 2, "each run has its own target and log directory"
    spans = sorted(_dbt_log_span(run) for run in runs)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert end <= start, f"two dbt runs overlapped: {spans}"
    assert ticks_at_lines and ticks_at_lines[-1] > ticks_at_lines[0], \
        "the event loop ran while dbt was building (dbt's lines arrived at different ticks)"


def test_profile_environment_comes_from_the_database_url():
    socket = dbt_env("postgresql://postgres:@/integrations?host=/tmp/pg-sock", base={})
    assert (socket["DBT_PGHOST"], socket["DBT_PGPORT"], socket["DBT_PGDATABASE"]) == ("/tmp/pg-sock", "5432", "integrations")
    assert socket["DBT_ENV_SECRET_PGPASSWORD"] == ""
    tcp = dbt_env("postgresql://crm:s3cret@db.internal:6543/crm?sslmode=require", base={})
    assert (tcp["DBT_PGHOST"], tcp["DBT_PGPORT"], tcp["DBT_PGUSER"], tcp["DBT_PGDATABASE"], tcp["DBT_PGSSLMODE"]) == (
        "db.internal", "6543", "crm", "crm", "require")
    assert tcp["DBT_ENV_SECRET_PGPASSWORD"] == "s3cret"  # dbt scrubs DBT_ENV_SECRET_* from its logs
    assert tcp["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "false"
