"""`sync_accounting_live`: the query backfill (resumable at its position), then CDC with deletions,
inactive customers kept, and the fallbacks to the query (a 30-day-old position, a cut answer)."""

from datetime import datetime, timezone

import pytest

from tests.quickbooks.conftest import LIVE

pytestmark = pytest.mark.asyncio
DAY = 86_400


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setenv("INTEGRATIONS_QUICKBOOKS_PAGE_SIZE", "10")


async def test_backfill_then_cdc_stages_changes_deletions_and_inactive_customers(company, qsb, small_pages):
    co = company()
    qsb.generate(co.realm, customers=23, invoices=31, payments=12)
    await co.run_live()
    states = co.states()
    assert {s: states[s]["status"] for s in ("customer", "invoice", "payment")} == {
        "customer": "ok", "invoice": "ok", "payment": "ok"}
    for entity in ("customer", "invoice", "payment"):
        assert co.live(entity) == co.at_quickbooks(entity), entity  # the exact entities, inactive ones too
    assert any(c["Active"] is False for c in co.live("customer").values())
    assert any("Active IN (true, false)" in q for q in co.queries() if "FROM Customer" in q)

    customers = sorted(co.at_quickbooks(), key=int)
    gone, paused, renamed = customers[0], customers[1], customers[2]
    qsb.delete_entity(co.realm, "customer", gone)
    qsb.set_active(co.realm, paused, False)
    qsb.update_entity(co.realm, "customer", renamed, {"DisplayName": "Renamed Ltd"})
    invoice = sorted(co.at_quickbooks("invoice"), key=int)[0]
    qsb.void_invoice(co.realm, invoice)
    qsb.advance(5)
    queries_before = len(co.queries())
    await co.run_live()
    assert co.states()["customer"]["cursor"].get("since") and "full" not in co.states()["customer"]["cursor"]
    assert len(co.queries()) == queries_before  # incremental runs read CDC, not the query
    assert gone in co.deleted() and gone not in co.live()
    assert co.live()[paused]["Active"] is False  # inactive stays, flagged
    assert co.live()[renamed]["DisplayName"] == "Renamed Ltd"
    assert co.live("invoice")[invoice]["PrivateNote"] == "Voided"

    versions = co.raw_count()
    await co.run_live()  # nothing changed: the overlap re-reads, nothing new is stored
    assert co.raw_count() == versions


async def test_a_killed_backfill_resumes_at_its_position(company, qsb, small_pages):
    co = company(capabilities={LIVE: {"entities": ["Customer"]}})
    qsb.generate(co.realm, customers=35, invoices=0, payments=0)
    qsb.add_fault(r"/query", status=400, skip=2, count=100)  # the third page fails for good
    await co.run_live()
    cursor = co.states()["customer"]["cursor"]
    assert co.states()["customer"]["status"] == "failing"
    assert cursor["full"]["after"] and 10 < len(co.live()) < 35  # two pages stored with their position
    qsb.clear_faults()
    qsb.clear_requests()
    await co.run_live()
    assert co.states()["customer"]["status"] == "ok"
    first = co.queries()[0]
    assert "MetaData.LastUpdatedTime >=" in first  # resumed at its position, not from the start
    assert co.live() == co.at_quickbooks()


async def test_many_changes_at_one_instant_are_paged_by_position(company, qsb, small_pages):
    co = company()
    instant = "2026-11-01T10:00:00-08:00"
    for n in range(27):  # a bulk import: every customer changed in the same second
        co.customer(f"Bulk {n}", MetaData={"CreateTime": instant, "LastUpdatedTime": instant})
    await co.run_live()
    assert co.live() == co.at_quickbooks() and len(co.live()) == 27


async def test_a_position_older_than_30_days_falls_back_to_the_query_and_settles(company, qsb):
    co = company(capabilities={LIVE: {"entities": ["Customer"]}})
    kept, gone = co.customer("Kept Co"), co.customer("Gone Co")
    await co.run_live()
    qsb.advance(31 * DAY)
    qsb.delete_entity(co.realm, "customer", gone["Id"])  # deleted while CDC cannot tell any more
    added = co.customer("Added Co")
    await co.run_live()
    state = co.states()["customer"]
    assert state["status"] == "ok" and "30 days" in (state["last_full_sync_reason"] or "")
    assert gone["Id"] in co.deleted() and {kept["Id"], added["Id"]} <= set(co.live())
    assert "settle" not in state["cursor"]
    cdc_before = qsb.count_requests(method_id="cdc", user=co.realm)
    await co.run_live()  # the new position is on QuickBooks' clock: CDC again, no second fallback
    assert co.states()["customer"]["last_full_sync_reason"] == state["last_full_sync_reason"]
    assert qsb.count_requests(method_id="cdc", user=co.realm) == cdc_before + 1


async def test_a_cdc_answer_of_1000_objects_falls_back_to_the_query(company, qsb):
    co = company(capabilities={LIVE: {"entities": ["Customer"]}})
    qsb.generate(co.realm, customers=1003, invoices=0, payments=0)
    await co.run_live()
    assert len(co.live()) == 1003
    qsb.advance(5)
    ids = sorted(co.at_quickbooks(), key=int)
    for entity_id in ids[:1001]:  # more changes than one CDC answer holds
        qsb.update_entity(co.realm, "customer", entity_id, {"Notes": "bulk edit"})
    qsb.delete_entity(co.realm, "customer", ids[-1])
    await co.run_live()
    state = co.states()["customer"]
    assert state["status"] == "ok" and "1000" in (state["last_full_sync_reason"] or "")
    assert co.live() == co.at_quickbooks() and ids[-1] in co.deleted()


async def test_a_nul_in_one_entity_and_malformed_answers_stop_nothing(company, qsb):
    co = company(capabilities={LIVE: {"entities": ["Customer"]}})
    good = [co.customer(f"Good {n}") for n in range(3)]
    poison = co.customer("Poison", Notes="a NUL \u0000 that PostgreSQL's jsonb refuses")
    qsb.add_fault(r"/query", kind="invalid_json", count=2)  # two answers cut mid-JSON: retried
    await co.run_live()
    assert co.states()["customer"]["status"] == "ok"
    assert set(co.live()) == {c["Id"] for c in good} | {poison["Id"]}
    assert "\\u0000" in co.live()[poison["Id"]]["Notes"]  # stored with the escape made visible
    assert co.states()["customer"]["cursor"].get("since")


async def test_an_entity_dated_in_the_future_never_moves_the_cdc_position_past_the_answers_time(company, qsb):
    """The position is QBO's clock at the answer (`time`), never an entity's own date: a customer whose
    LastUpdatedTime says 2099 would otherwise move it to 2099 and every later change would be missed."""
    co = company(capabilities={LIVE: {"entities": ["Customer"]}})
    co.customer("Ana Books")
    await co.run_live()  # the backfill; CDC from its start on
    qsb.advance(5)
    future = "2099-01-01T00:00:00-08:00"
    odd = co.customer("Far Future", MetaData={"CreateTime": future, "LastUpdatedTime": future})
    await co.run_live()
    assert odd["Id"] in co.live()
    since = datetime.fromisoformat(co.states()["customer"]["cursor"]["since"])
    assert since < datetime(2030, 1, 1, tzinfo=timezone.utc)
    qsb.advance(5)
    later = co.customer("Ben Bakery")
    await co.run_live()
    assert later["Id"] in co.live() and co.states()["customer"]["status"] == "ok"
