"""CDC takes over from QuickBooks' clock at the backfill's FIRST answer, so what changed while the
backfill ran -- an invoice deleted after its page was stored -- is read by the first CDC call.

Were the position taken from the backfill's last answer instead, a deletion made while a long
backfill ran (or while a killed one waited to resume) would lie before it: the entity would stay
live until a reconcile. The sandbox clock is moved an hour on during the backfill (far beyond the
CDC overlap), as a long backfill or a worker dead for an hour would.
"""

import asyncio

import pytest

from tests.quickbooks.conftest import LIVE

pytestmark = pytest.mark.asyncio
HOUR = 3600


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setenv("INTEGRATIONS_QUICKBOOKS_PAGE_SIZE", "10")


def invoices_of(co, count: int) -> list[str]:
    customer = co.customer("Backfill Ltd")
    return [co.invoice(customer, amount=100.0 + n)["Id"] for n in range(count)]


async def test_an_invoice_deleted_while_a_killed_backfill_waited_ends_deleted(company, qsb, small_pages):
    co = company(capabilities={LIVE: {"entities": ["Invoice"]}})
    ids = invoices_of(co, 15)
    qsb.add_fault(r"/query", status=400, skip=1, count=100)  # the second page fails for good
    await co.run_live()
    state = co.states()["invoice"]
    assert state["status"] == "failing" and state["cursor"]["full"]["serverStart"]
    assert len(co.live("invoice")) == 10  # the first page is stored

    gone = ids[0]  # read on the first page, deleted before the backfill resumes an hour later
    qsb.delete_entity(co.realm, "invoice", gone)
    qsb.advance(HOUR)
    qsb.clear_faults()
    await co.run_live()  # the backfill resumes and ends
    assert "full" not in co.states()["invoice"]["cursor"]
    await co.run_live()  # CDC

    assert co.states()["invoice"]["status"] == "ok"
    assert gone in co.deleted("invoice") and gone not in co.live("invoice")
    assert co.live("invoice") == co.at_quickbooks("invoice")


async def test_an_invoice_deleted_during_a_long_backfill_ends_deleted(company, qsb, small_pages):
    co = company(capabilities={LIVE: {"entities": ["Invoice"]}})
    ids = invoices_of(co, 25)
    held = qsb.add_fault(r"/query", kind="hold", skip=1)  # QuickBooks keeps the second page a while
    run = asyncio.create_task(co.run_live())
    try:
        assert await asyncio.to_thread(qsb.wait_held, held["id"], 1, 30)
        gone = ids[0]  # on the first page, already stored
        assert gone in co.live("invoice")
        qsb.delete_entity(co.realm, "invoice", gone)
        qsb.advance(HOUR)  # the backfill's later pages answer an hour on
    finally:
        qsb.release(held["id"])
        await run
    assert "full" not in co.states()["invoice"]["cursor"] and gone in co.live("invoice")  # the query missed it
    await co.run_live()  # CDC

    assert co.states()["invoice"]["status"] == "ok"
    assert gone in co.deleted("invoice") and gone not in co.live("invoice")
    assert co.live("invoice") == co.at_quickbooks("invoice")
