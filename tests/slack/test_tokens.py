"""Bot tokens: rotation stored by compare-and-swap, a revoked token marks the connection needs_reauth."""

import asyncio

import httpx
import pytest
from click.testing import CliRunner

from tests.slack.conftest import Workspace
from worker.app import open_app_async
from worker.cli import cli
from worker.db.connect import connect
from worker.providers.slack.context import slack_context
from worker.settings import get_settings
from worker.status import collect_status

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def app_pool(database_url):
    async with open_app_async(database_url) as app:
        yield app.connector.pool


@pytest.fixture
def rotating(ssb):
    ssb.set_token_rotation(True)
    yield ssb
    ssb.set_token_rotation(False)


async def test_an_expired_rotating_token_is_refreshed_and_the_new_pair_stored(rotating, database_url, app_pool):
    ws = Workspace(rotating, database_url, {"sync_channels_live": None})
    first = ws.credentials()
    assert first["refresh_token"] and first["expiry"]
    rotating.expire_access_tokens(ws.team)
    ana = ws.user("ana")
    general = ws.channel("general")
    ws.say(general, "hello", ana)
    for _ in range(3):  # many refreshes in a row: each stores the pair it learned
        rotating.expire_access_tokens(ws.team)
        async with slack_context(app_pool, ws.id) as ctx:
            await ctx.client.call("auth.test")
            assert ctx.client.token.refreshes == 1
    stored = ws.credentials()
    assert stored["refresh_token"] != first["refresh_token"] and stored["token"] != first["token"]
    await ws.run_live()
    assert ws.states()[general]["status"] == "ok"


async def test_concurrent_refreshes_both_end_with_a_working_token(rotating, database_url, app_pool):
    ws = Workspace(rotating, database_url, {"sync_channels_live": None})
    rotating.expire_access_tokens(ws.team)

    async def one() -> str:
        async with slack_context(app_pool, ws.id) as ctx:
            answer = await ctx.client.call("auth.test")
            return answer["team_id"]

    assert await asyncio.gather(one(), one()) == [ws.team, ws.team]
    async with slack_context(app_pool, ws.id) as ctx:
        assert (await ctx.client.call("auth.test"))["ok"]


async def test_a_revoked_token_marks_the_connection_needs_reauth_in_status(workspace, ssb, database_url):
    ws = workspace()
    ana = ws.user("ana")
    ws.say(ws.channel("general"), "hi", ana)
    ssb.revoke_tokens(ws.team)
    await ws.run_live()
    assert ws.row()["status"] == "needs_reauth"
    with connect(database_url) as conn:
        [entry] = collect_status(conn, ws.id)
    assert entry["status"] == "needs_reauth"
    live = next(c for c in entry["capabilities"] if c["capability"] == "sync_channels_live" and not c["stream"])
    assert live["status"] == "needs_reauth" and "integrations connect slack" in live["remedy"]
    assert "--profile" not in live["remedy"]



async def _done_or_waiting_on_a_lock(task: asyncio.Task, url: str, deadline_seconds: float = 30.0) -> None:
    """Return once `task` finished or a session waits on a row lock (the loser queued behind the winner)."""
    loop = asyncio.get_running_loop()
    until = loop.time() + deadline_seconds
    while not task.done() and loop.time() < until:
        with connect(url) as conn:
            waiting = conn.execute("select count(*) as n from pg_stat_activity where wait_event_type = 'Lock'"
                                   " and datname = current_database()").fetchone()["n"]
        if waiting:
            return
        await asyncio.sleep(0.02)


async def test_a_refresh_refused_while_another_is_in_flight_adopts_the_winners_pair(rotating, database_url):
    """The race: Slack rotated for job A (revoking the refresh token both jobs read) but A's answer is
    still on its way; job B, on another worker, refreshing with that token is refused. B must not mark
    the connection needs_reauth: A's refresh is in flight, and its pair is the one both go on with."""
    ws = Workspace(rotating, database_url, {"sync_channels_live": None})
    first = ws.credentials()["refresh_token"]
    rotating.expire_access_tokens(ws.team)
    held = rotating.add_fault(r"^/api/oauth\.v2\.access$", kind="hold", count=1)

    async def one() -> str:  # one job on its own worker (its own pool)
        async with open_app_async(database_url, max_size=2) as app:
            async with slack_context(app.connector.pool, ws.id) as ctx:
                return (await ctx.client.call("auth.test"))["team_id"]

    winner = asyncio.create_task(one())
    assert await asyncio.to_thread(rotating.wait_held, held["id"])  # Slack rotated; A has not heard yet
    loser = asyncio.create_task(one())
    await _done_or_waiting_on_a_lock(loser, database_url)
    rotating.release(held["id"])
    assert await asyncio.gather(winner, loser, return_exceptions=True) == [ws.team, ws.team]
    assert ws.row()["status"] == "active"
    assert ws.credentials()["refresh_token"] != first
    assert rotating.count_requests(method_id="oauth.v2.access") == 1  # B adopted A's pair, spent nothing
    await ws.run_live()
    assert ws.row()["status"] == "active"


async def test_a_worker_dying_after_slacks_refresh_answer_loses_the_grant_and_status_says_reinstall(
        rotating, database_url, app_pool):
    """Unlike Intuit, Slack keeps no grace period for a rotated refresh token: killed between Slack's
    answer and our commit, the stored refresh token is already revoked. `status` says why and names
    the reinstall command."""
    ws = Workspace(rotating, database_url, {"sync_channels_live": None})
    first = ws.credentials()["refresh_token"]
    rotating.expire_access_tokens(ws.team)

    async def die_on_token_answer(response: httpx.Response) -> None:
        if response.request.url.path.endswith("/oauth.v2.access"):
            raise RuntimeError("worker died after the token answer")

    async with slack_context(app_pool, ws.id) as ctx:
        ctx.client.token.http.event_hooks["response"].append(die_on_token_answer)
        with pytest.raises(RuntimeError):
            await ctx.client.call("auth.test")
    assert ws.credentials()["refresh_token"] == first  # rolled back with the transaction: revoked at Slack
    await ws.run_live()
    assert ws.row()["status"] == "needs_reauth"
    get_settings.cache_clear()
    shown = await asyncio.to_thread(CliRunner().invoke, cli, ["status", "--connection", str(ws.id)])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "needs_reauth" in text and "reconnect by reinstalling the Slack app" in text
    assert "no grace period" in text and "loses the grant for good" in text
    assert f"integrations connect slack --tenant {ws.tenant_id} --account {ws.team}" in text
