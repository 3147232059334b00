"""INTEGRATIONS_NORMALIZE_SELECTIVE: a staged page asks for `dbt run` of the models its provider
feeds, not the whole project's build: one waiting run per set of folders, and the rows arrive."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from tests.normalize.helpers import query
from tests.normalize_slack.slack_payloads import create_slack_connection, message, stage_messages
from worker.db.connect import connect
from worker.normalize.selection import folders, selectors
from worker.settings import get_settings


def test_resource_types_map_to_their_providers_staging_folders():
    assert folders({"slack.message", "slack.user"}) == ["slack"]
    assert folders({"gmail.message", "calendar.event", "outlook.message"}) == ["google", "microsoft"]
    assert folders({"quickbooks.invoice", "twilio.call"}) == ["quickbooks", "twilio"]
    assert folders({"slack.message", "someone.else"}) is None  # unknown: the whole project
    assert selectors(["slack"]) == ["path:dbt_project/models/staging/slack+"]


@pytest.fixture
def selective(make_database, monkeypatch, tmp_path):
    url = make_database.create(prefix="nz_selective")
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", url)
    monkeypatch.setenv("INTEGRATIONS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INTEGRATIONS_NORMALIZE_SELECTIVE", "true")
    get_settings.cache_clear()
    tenant = uuid.uuid4()
    with connect(url) as conn:
        team = create_slack_connection(conn, tenant, "T0SELECTIVE")
        conn.commit()
    yield {"url": url, "tenant": tenant, "team": team, "runs": tmp_path / "runs"}
    get_settings.cache_clear()


def stage(world, ts: str, text: str) -> None:
    with connect(world["url"]) as conn:
        stage_messages(conn, world["team"], world["tenant"], "C1", [message(ts, text=text)])
        conn.commit()


def run_normalize(select) -> list[str]:
    """The normalize task itself, its dbt lines captured."""
    from worker.tasks.normalize import normalize

    lines: list[str] = []

    class Lines(logging.Handler):
        def emit(self, record):
            if record.getMessage().startswith("dbt: "):
                lines.append(record.getMessage())

    handler, task_logger = Lines(level=logging.INFO), logging.getLogger("worker.tasks.normalize")
    previous = task_logger.level
    task_logger.addHandler(handler)
    task_logger.setLevel(logging.INFO)
    try:
        assert asyncio.run(normalize(select=select)) == 0
    finally:
        task_logger.removeHandler(handler)
        task_logger.setLevel(previous)
    return lines


def texts(world) -> list[str]:
    return [r["text"] for r in query(world["url"], "select text from product.chat_messages where tenant_id = %s"
                                                   " order by ts", (world["tenant"],))]


def test_requests_coalesce_per_set_of_providers(selective):
    from worker.app import open_app_async
    from worker.tasks.normalize import request_normalize

    async def ask():
        async with open_app_async(selective["url"]):
            return [await request_normalize(frozenset({"slack.message"})),
                    await request_normalize(frozenset({"slack.user", "slack.message"})),  # the same folders
                    await request_normalize(frozenset({"gmail.message"})),  # another provider: its own run
                    await request_normalize(frozenset({"mystery.thing"}))]  # unknown: the whole project

    assert asyncio.run(ask()) == [True, False, True, True]
    jobs = query(selective["url"], "select args, queueing_lock from procrastinate_jobs where task_name = 'normalize'"
                                   " order by id")
    assert [(j["args"].get("select"), j["queueing_lock"]) for j in jobs] == [
        (["slack"], "normalize:slack"), (["google"], "normalize:google"), (None, "normalize")]


def test_a_selective_run_builds_only_what_slack_feeds_and_a_fresh_database_builds_everything(selective):
    stage(selective, "1700000000.000100", "first")
    fresh = " ".join(run_normalize(["slack"]))  # nothing built yet: the selection cannot run alone
    assert "stg_twilio__messages" in fresh and texts(selective) == ["first"]

    stage(selective, "1700000100.000100", "second")
    built = " ".join(run_normalize(["slack"]))
    assert texts(selective) == ["first", "second"]
    assert "chat_messages" in built and "stg_slack__messages" in built
    assert "stg_twilio__messages" not in built and "stg_quickbooks__invoices" not in built  # not what Slack feeds
    [finished] = [line for line in built.split("dbt: ") if "Finished running" in line]
    assert "data test" not in finished  # `run`: the data tests wait for the periodic full build
