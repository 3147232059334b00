"""The warm in-process dbt runner (worker/normalize/warm.py) and the whole build's interval.

A selective run in the worker parses the project once and reuses the manifest; a change to the
project's files is parsed again at the next run (an analyst's new model needs no worker restart);
a failing model is a non-zero code, so the normalize task falls back to the whole build. The
periodic whole build starts at most every INTEGRATIONS_NORMALIZE_INTERVAL_SECONDS, and selective
runs never hold it off.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

import pytest

from tests.normalize.helpers import query
from tests.normalize_slack.slack_payloads import create_slack_connection, message, stage_messages
from worker.db.connect import connect
from worker.normalize import run_dbt_sync
from worker.normalize.runner import DBT_PROJECT_ROOT
from worker.normalize.selection import selectors
from worker.normalize.warm import WarmDbt
from worker.settings import get_settings


@pytest.fixture
def built(make_database, monkeypatch, tmp_path):
    """A database whose project is built once, with a Slack team to stage messages for."""
    url = make_database.create(prefix="nz_warm")
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", url)
    monkeypatch.setenv("INTEGRATIONS_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    tenant = uuid.uuid4()
    with connect(url) as conn:
        team = create_slack_connection(conn, tenant, "T0WARM")
        conn.commit()
    assert run_dbt_sync(url, on_line=lambda line: None, runs_dir=tmp_path / "runs") == 0
    yield {"url": url, "tenant": tenant, "team": team, "tmp": tmp_path}
    get_settings.cache_clear()


def stage(world, ts: str, text: str) -> None:
    with connect(world["url"]) as conn:
        stage_messages(conn, world["team"], world["tenant"], "C1", [message(ts, text=text)])
        conn.commit()


def texts(world) -> list[str]:
    return [r["text"] for r in query(world["url"], "select text from product.chat_messages where tenant_id = %s"
                                                   " order by ts", (world["tenant"],))]


def project_copy(tmp_path: Path) -> Path:
    """The dbt project in a directory of its own, so a test can add a model to it."""
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy2(DBT_PROJECT_ROOT / name, copy / name)
    shutil.copytree(DBT_PROJECT_ROOT / "dbt_project", copy / "dbt_project")
    return copy


def test_the_project_is_parsed_once_and_again_when_a_model_is_added(built):
    warm = WarmDbt(project_copy(built["tmp"]))
    slack = selectors(["slack"])
    lines: list[str] = []

    stage(built, "1700000000.000100", "first")
    assert warm.run(built["url"], slack, built["tmp"] / "warm", lines.append) == 0
    stage(built, "1700000100.000100", "second")
    assert warm.run(built["url"], slack, built["tmp"] / "warm", lines.append) == 0
    assert texts(built) == ["first", "second"]
    assert warm.parses == 1  # the second run reused the manifest
    assert any("chat_messages" in line for line in lines)  # dbt's lines reach the callback

    # an analyst adds a model downstream of Slack's: the next run sees it without a restart
    model = warm.project_dir / "dbt_project" / "models" / "product" / "zz_warm_probe.sql"
    model.write_text("select count(*) as n from {{ ref('chat_messages') }}\n")
    assert warm.run(built["url"], slack, built["tmp"] / "warm", lines.append) == 0
    assert warm.parses == 2
    [row] = query(built["url"], "select n from product.zz_warm_probe")
    assert row["n"] >= 2


def test_a_failing_model_is_a_failed_run_and_the_task_falls_back_to_the_whole_build(built, monkeypatch):
    warm = WarmDbt(project_copy(built["tmp"]))
    broken = warm.project_dir / "dbt_project" / "models" / "product" / "zz_broken.sql"
    broken.write_text("select no_such_column from {{ ref('chat_messages') }}\n")
    lines: list[str] = []
    assert warm.run(built["url"], selectors(["slack"]), built["tmp"] / "warm", lines.append) == 1
    assert any("zz_broken" in line for line in lines)

    # the normalize task: a selective run that fails is followed by the whole build (the real project)
    import worker.normalize.warm as warm_module
    from worker.tasks.normalize import normalize

    monkeypatch.setattr(warm_module, "_WARM", warm)
    stage(built, "1700000200.000100", "after a broken model")
    assert asyncio.run(normalize(select=["slack"])) == 0
    assert "after a broken model" in texts(built)


@pytest.fixture
def jobs_db(make_database, monkeypatch):
    url = make_database.create(prefix="nz_periodic")
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", url)
    monkeypatch.setenv("INTEGRATIONS_NORMALIZE_INTERVAL_SECONDS", "900")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_the_whole_build_starts_at_most_once_per_interval_and_selective_runs_do_not_hold_it_off(jobs_db):
    from procrastinate.jobs import Status

    from worker.app import open_app_async
    from worker.tasks.normalize import normalize_periodic, request_normalize

    def whole_builds() -> list[str]:
        return [r["status"] for r in query(jobs_db, "select status from procrastinate_jobs where task_name ="
                                                    " 'normalize' and not args ? 'select' order by id")]

    async def scenario():
        async with open_app_async(jobs_db) as app:
            assert await request_normalize(frozenset({"slack.message"}))  # a selective run waiting
            assert await normalize_periodic(0) is True  # no whole build on record: due
            assert await normalize_periodic(0) is False  # one is waiting
            manager = app.job_manager
            worker_id = await manager.register_worker()
            job = await manager.fetch_job(queues=["normalize"], worker_id=worker_id)
            while job is not None and job.task_kwargs.get("select"):  # run (as if) the selective one first
                await manager.finish_job(job, Status.SUCCEEDED, delete_job=False)
                job = await manager.fetch_job(queues=["normalize"], worker_id=worker_id)
            assert job is not None and not job.task_kwargs.get("select")
            assert await normalize_periodic(0) is False  # running
            await manager.finish_job(job, Status.SUCCEEDED, delete_job=False)
            assert await normalize_periodic(0) is False  # started within the interval
            assert await request_normalize(frozenset({"slack.message"}))  # pushes keep coming
            with connect(jobs_db) as conn:  # the interval passes
                conn.execute("update procrastinate_events set at = at - interval '16 minutes'"
                             " where job_id = %s", (job.id,))
                conn.commit()
            assert await normalize_periodic(0) is True

    asyncio.run(scenario())
    assert whole_builds() == ["succeeded", "todo"]
