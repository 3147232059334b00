"""Invariant 1: a cursor never moves past data that is not durably in `raw_records`.

A real write fails mid-page (a temporary trigger on `integrations.raw_records` raises for one
message id): the page's rows and its cursor go together, so the cursor stays where it was, and
the next run, with the trigger gone, stages everything.
"""

from contextlib import contextmanager

import pytest

from tests.gmail.conftest import Mailbox, google_sandbox, gsb  # noqa: F401 - fixtures
from worker.db.connect import connect
from worker.providers.google.capabilities import GMAIL_READONLY

pytestmark = pytest.mark.asyncio


@contextmanager
def failing_write(url: str, external_id: str):
    """Every insert of `external_id` into raw_records raises (SQLSTATE P0001, not a data error)."""
    with connect(url) as conn:
        conn.execute("""
            create function integrations.fail_one_write() returns trigger language plpgsql as $fn$
            begin
                raise exception 'write of % refused by the test', new.external_id;
            end $fn$""")
        conn.execute(f"""
            create trigger fail_one_write before insert on integrations.raw_records for each row
            when (new.external_id = '{external_id}') execute function integrations.fail_one_write()""")
        conn.commit()
    try:
        yield
    finally:
        with connect(url) as conn:
            conn.execute("drop trigger fail_one_write on integrations.raw_records")
            conn.execute("drop function integrations.fail_one_write()")
            conn.commit()


@pytest.fixture
def box(gsb, make_database):  # noqa: F811 - its own database: the trigger never touches other tests
    return Mailbox(gsb, make_database.create(), "ana@tenant.example", {"sync_inbox_live": None}, [GMAIL_READONLY])


async def test_an_incremental_page_whose_write_fails_leaves_the_cursor_unchanged_and_the_next_run_stages_it(box):
    first = [box.add(f"first {i}") for i in range(2)]
    await box.run_live()
    cursor = box.state()["cursor"]
    assert cursor == {"historyId": str(box.sandbox.history_id(box.email))}
    later = [box.add(f"later {i}") for i in range(5)]

    with failing_write(box.url, later[2]):
        await box.run_live()
        assert box.state()["cursor"] == cursor
        assert set(box.heads()) == set(first)  # nothing of the failed page was kept either

    await box.run_live()
    assert set(box.heads()) == set(first + later)
    assert box.state()["cursor"] == {"historyId": str(box.sandbox.history_id(box.email))}


async def test_a_full_sync_page_whose_write_fails_leaves_the_cursor_at_that_page(box):
    ids = [box.add(f"m{i}") for i in range(4)]

    with failing_write(box.url, ids[1]):
        await box.run_live()
        full = box.state()["cursor"]["full"]
        assert (full["label"], full["pageToken"]) == (0, None)  # still before the first page
        assert box.heads() == {}

    await box.run_live()
    assert set(box.heads()) == set(ids)
    assert box.state()["cursor"] == {"historyId": full["startHistoryId"]}
