"""`sync_accounting_once` over a window; throttling waited out; companies and tenants kept apart."""

import json
import os
import subprocess
import sys
import uuid

import pytest

from tests.quickbooks.conftest import LIVE, drain
from worker.db.connect import connect

pytestmark = pytest.mark.asyncio
ONCE = "sync_accounting_once"


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "worker.cli.__main__", *args], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=60)


async def test_a_manual_run_reads_the_chosen_entities_of_a_window(company, qsb, database_url, monkeypatch):
    monkeypatch.setenv("INTEGRATIONS_QUICKBOOKS_PAGE_SIZE", "5")
    co = company(capabilities={LIVE: None, ONCE: None})
    old = co.customer("Old Co", MetaData={"CreateTime": "2026-01-05T10:00:00-08:00",
                                          "LastUpdatedTime": "2026-01-05T10:00:00-08:00"})
    recent = [co.customer(f"Recent {n}") for n in range(12)]
    co.invoice(recent[0])
    bad = cli("sync", "once", "--connection", str(co.id), "--capability", ONCE, "--param", "entities=Vendor")
    assert bad.returncode == 2 and "unknown entity 'Vendor'" in bad.stderr
    done = cli("sync", "once", "--connection", str(co.id), "--capability", ONCE, "--param", "entities=customer",
               "--param", "since=2026-06-01T00:00:00Z", "--json")
    assert done.returncode == 0, done.stderr
    await drain(database_url)
    assert set(co.live()) == {c["Id"] for c in recent} and old["Id"] not in co.live()
    assert co.live("invoice") == {}  # not asked for
    with connect(database_url) as conn:
        [run] = conn.execute("select cursor, status from integrations.sync_state where connection_id = %s"
                             " and capability = %s and stream like 'run:%%'", (co.id, ONCE)).fetchall()
    assert run["status"] == "ok" and run["cursor"]["done"] and run["cursor"]["listed"] == 12
    assert run["cursor"]["estimate"] == 12  # QBO's COUNT(*) of the window: the progress bar's end
    assert json.loads(done.stdout)


async def test_throttling_is_waited_out_and_nothing_is_missing(company, qsb, monkeypatch):
    monkeypatch.setenv("INTEGRATIONS_QUICKBOOKS_PAGE_SIZE", "10")
    monkeypatch.setenv("INTEGRATIONS_QUICKBOOKS_REQUESTS_PER_MINUTE", "0")  # no client pacing: meet the 429s
    co = company()
    qsb.generate(co.realm, customers=40, invoices=25, payments=10)
    qsb.set_quota(requests_per_window=3, window_seconds=1.0)
    await co.run_live()
    assert qsb.count_requests(user=co.realm, status=429) > 0
    assert {s: r["status"] for s, r in co.states().items() if s} == {
        "customer": "ok", "invoice": "ok", "payment": "ok"}
    for entity in ("customer", "invoice", "payment"):
        assert co.live(entity) == co.at_quickbooks(entity)


async def test_companies_and_tenants_never_see_each_others_entities(company, qsb):
    first, second = company(), company(tenant_id=uuid.uuid4())
    a = first.customer("Same Id Co")  # both companies number their customers from 1
    b = second.customer("Other Co")
    assert a["Id"] == b["Id"]
    qsb.revoke(second.realm)  # one company's grant gone: the other goes on
    await first.run_live()
    await second.run_live()
    assert first.live() == {a["Id"]: a} and first.states()["customer"]["status"] == "ok"
    assert second.live() == {} and second.row()["status"] == "needs_reauth"
    with connect(first.url) as conn:
        tenants = conn.execute("select distinct tenant_id from integrations.raw_records where connection_id = %s",
                               (first.id,)).fetchall()
    assert [t["tenant_id"] for t in tenants] == [first.tenant_id]
