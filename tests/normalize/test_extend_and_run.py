"""Running normalization the ways operators and analysts do: an analyst's new column filled for all
history by a re-process (without a single provider request), the worker task (serialized,
coalesced, off the event loop), and the URL -> profile environment."""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid

import pytest

from worker.db.connect import connect
from worker.normalize import dbt_env

from tests.normalize.helpers import create_connection, dbt, make_message, query, stage_gmail


@pytest.fixture(scope="module")
def history(make_database, tmp_path_factory):
    """A database with mail already normalized by the project as it is."""
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


def test_a_column_added_to_a_model_is_filled_for_all_history_by_reprocess(history, tmp_path, sandbox):
    # the analyst's change: one more column in product.emails, written in SQL
    project = _copy_project(tmp_path)
    model = project / "dbt_project/models/product/emails.sql"
    sql = model.read_text()
    marker = "        representative.signature_phones,\n"
    assert marker in sql
    model.write_text(sql.replace(marker, marker + "        (select count(*) from regexp_matches("
                                 "representative.body_text, '\\S+', 'g'))::int as body_word_count,\n"))
    sandbox.clear_requests()

    dbt(history["url"], history["runs"], project_dir=project, full_refresh=True, select="emails")

    rows = query(history["url"], "select subject, body_word_count from product.emails order by subject")
    assert len(rows) == 12
    assert {r["subject"]: r["body_word_count"] for r in rows} == {f"Note {i}": i + 1 for i in range(12)}
    assert sandbox.count_requests() == 0, "re-processing reads raw_records only, never the provider"


def test_the_worker_task_runs_dbt_serialized_and_coalesces_requests(history, monkeypatch, tmp_path):
    from worker.app import open_app_async
    from worker.settings import get_settings
    from worker.tasks.normalize import normalize, request_normalize

    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", history["url"])
    monkeypatch.setenv("INTEGRATIONS_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    assert (normalize.lock, normalize.queueing_lock) == ("normalize", "normalize")
    with connect(history["url"]) as conn:
        stage_gmail(conn, history["mailbox"], history["tenant"], {"late-arrival": make_message(subject="Queued")})
        conn.commit()

    async def scenario():
        async with open_app_async(history["url"]) as app:
            first, second = await request_normalize(), await request_normalize()
            ticks = []

            async def heartbeat():  # the event loop keeps running while dbt builds
                while True:
                    ticks.append(time.monotonic())
                    await asyncio.sleep(0.2)

            beat = asyncio.create_task(heartbeat())
            await app.run_worker_async(queues=["normalize"], wait=False, concurrency=2)
            beat.cancel()
            return first, second, ticks

    try:
        first, second, ticks = asyncio.run(scenario())
    finally:
        get_settings.cache_clear()
    assert (first, second) == (True, False), "a second request while one waits coalesces"
    assert len(ticks) > 5 and max(b - a for a, b in zip(ticks, ticks[1:])) < 1.0
    jobs = query(history["url"], "select status from procrastinate_jobs where task_name = 'normalize'")
    assert [j["status"] for j in jobs] == ["succeeded"]
    assert query(history["url"], "select count(*) as n from product.emails where subject = 'Queued'")[0]["n"] == 1
    assert list((tmp_path / "data/dbt/runs").iterdir()), "each run has its own target and log directory"


def test_profile_environment_comes_from_the_database_url():
    socket = dbt_env("postgresql://postgres:@/integrations?host=/tmp/pg-sock", base={})
    assert (socket["DBT_PGHOST"], socket["DBT_PGPORT"], socket["DBT_PGDATABASE"]) == ("/tmp/pg-sock", "5432", "integrations")
    assert socket["DBT_ENV_SECRET_PGPASSWORD"] == ""
    tcp = dbt_env("postgresql://crm:s3cret@db.internal:6543/crm?sslmode=require", base={})
    assert (tcp["DBT_PGHOST"], tcp["DBT_PGPORT"], tcp["DBT_PGUSER"], tcp["DBT_PGDATABASE"], tcp["DBT_PGSSLMODE"]) == (
        "db.internal", "6543", "crm", "crm", "require")
    assert tcp["DBT_ENV_SECRET_PGPASSWORD"] == "s3cret"  # dbt scrubs DBT_ENV_SECRET_* from its logs
    assert tcp["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "false"
