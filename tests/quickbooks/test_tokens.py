"""Refresh tokens that rotate on every use: stored in the transaction that learns them, one refresh
at a time per company, a refused grant → needs_reauth in `status`."""

import asyncio

import httpx
import pytest

from worker.db.connect import connect
from worker.providers.quickbooks.client.errors import Unauthorized
from worker.providers.quickbooks.context import quickbooks_context
from worker.status import collect_status

pytestmark = pytest.mark.asyncio


def token_requests(qsb) -> int:
    return qsb.count_requests(method_id="oauth.token")


async def one_query(pool, co) -> int:
    async with quickbooks_context(pool, co.id) as ctx:
        answer = await ctx.api.query("SELECT COUNT(*) FROM Customer")
        return answer["QueryResponse"]["totalCount"]


async def test_many_refreshes_in_a_row_each_store_the_new_refresh_token(company, qsb, app_pool):
    co = company()
    co.customer("Ana Books")
    seen = {co.credentials()["refresh_token"]}
    for _ in range(4):
        qsb.expire_access_tokens(co.realm)
        assert await one_query(app_pool, co) == 1
        stored = co.credentials()
        assert stored["refresh_token"] not in seen  # rotated, and the new one is what is stored
        seen.add(stored["refresh_token"])
    qsb.advance(60)  # every earlier refresh token is past its grace: only the stored one works
    qsb.expire_access_tokens(co.realm)
    assert await one_query(app_pool, co) == 1
    assert co.row()["status"] == "active"


async def test_concurrent_refreshes_make_one_rotation_and_all_end_with_a_working_token(company, qsb, app_pool):
    co = company()
    co.customer("Ana Books")
    qsb.refresh_grace_seconds = 0  # a second use of the same refresh token would be refused
    qsb.expire_access_tokens(co.realm)
    before = token_requests(qsb)
    assert await asyncio.gather(*(one_query(app_pool, co) for _ in range(5))) == [1] * 5
    assert token_requests(qsb) - before == 1  # the others adopted the stored pair under the row lock
    assert co.row()["status"] == "active"
    qsb.expire_access_tokens(co.realm)
    assert await one_query(app_pool, co) == 1


async def test_dying_after_intuit_answered_but_before_the_commit_leaves_the_old_token_usable(company, qsb, app_pool):
    """The window a SIGKILL can hit: Intuit rotated, our transaction did not commit. The previous
    refresh token stays stored; Intuit honours it for a grace period, so the next run recovers."""
    co = company()
    co.customer("Ana Books")
    first = co.credentials()["refresh_token"]
    qsb.expire_access_tokens(co.realm)

    async def die_on_token_answer(response: httpx.Response) -> None:
        if response.request.url.path.endswith("/tokens/bearer"):
            raise RuntimeError("worker died after the token answer")

    async with quickbooks_context(app_pool, co.id) as ctx:
        ctx.tokens.http.event_hooks["response"].append(die_on_token_answer)
        with pytest.raises(RuntimeError):
            await ctx.api.query("SELECT COUNT(*) FROM Customer")
    assert co.credentials()["refresh_token"] == first  # rolled back with the transaction
    assert await one_query(app_pool, co) == 1  # inside Intuit's grace: the next run refreshes again
    assert co.credentials()["refresh_token"] != first


async def test_a_refused_refresh_token_marks_the_connection_needs_reauth_with_its_remedy(company, qsb, app_pool):
    co = company()
    co.customer("Ana Books")
    other = company()
    other.customer("Ben Bakery")
    qsb.revoke(co.realm)  # the company's admin disconnected the app
    with pytest.raises(Unauthorized):
        await one_query(app_pool, co)
    assert co.row()["status"] == "needs_reauth"
    await co.run_live()
    with connect(co.url) as conn:
        [entry] = collect_status(conn, co.id)
    live = next(c for c in entry["capabilities"] if c["capability"] == "sync_accounting_live" and not c["stream"])
    assert live["status"] == "needs_reauth" and "integrations connect quickbooks" in live["remedy"]
    assert "--profile" not in live["remedy"]
    assert await one_query(app_pool, other) == 1  # another company of the app goes on
