"""An `@odata.nextLink` / `@odata.deltaLink` outside Graph's own base URL is refused before any
request is made, so the mailbox's bearer token never leaves Graph. The sandbox's `foreign_link`
fault moves an answer's links to a host that records what reaches it; the client must raise
`foreignLink` and that host must see nothing."""

from __future__ import annotations

import pytest

from tests.microsoft.conftest import graph_message
from tests.microsoft.graph_on_the_sandbox import RecordingPacer, foreign_host, graph_client
from worker.providers.microsoft.client.errors import MalformedResponse
from worker.providers.microsoft.mail.api import MailApi

pytestmark = pytest.mark.asyncio
USER = "links@tenant.example"
DELTA = r"/messages/delta"


def fill(sandbox, count: int) -> None:
    for i in range(count):
        sandbox.import_message(USER, graph_message(f"m{i}", to=USER))


async def test_a_next_link_on_another_host_is_refused_and_never_requested(microsoft_sandbox):
    fill(microsoft_sandbox, 3)
    with foreign_host() as elsewhere:
        microsoft_sandbox.add_fault(DELTA, kind="foreign_link", link_base=elsewhere.url)
        async with graph_client(microsoft_sandbox, USER, RecordingPacer()) as client:
            api = MailApi(client, page_size=2)
            first = await api.delta("inbox")
            link = first["@odata.nextLink"]
            assert link.startswith(elsewhere.url + "/v1.0/")  # the fault moved it
            with pytest.raises(MalformedResponse) as refused:
                await api.delta(link=link)
        assert refused.value.code == "foreignLink"
        assert elsewhere.seen == []  # not a single request, so no token, reached it


async def test_a_delta_link_on_another_host_is_refused_and_never_requested(microsoft_sandbox):
    fill(microsoft_sandbox, 1)
    with foreign_host() as elsewhere:
        microsoft_sandbox.add_fault(DELTA, kind="foreign_link", link_base=elsewhere.url)
        async with graph_client(microsoft_sandbox, USER, RecordingPacer()) as client:
            api = MailApi(client, page_size=10)
            last = await api.delta("inbox")
            assert "@odata.nextLink" not in last and last["@odata.deltaLink"].startswith(elsewhere.url)
            with pytest.raises(MalformedResponse) as refused:
                await api.delta(link=last["@odata.deltaLink"])
        assert refused.value.code == "foreignLink"
        assert elsewhere.seen == []


@pytest.mark.parametrize("foreign", [
    "{scheme}://{host}:1/v1.0/me/messages/delta",  # Graph's host on another port
    "{other}://{host}:{port}/v1.0/me/messages/delta",  # Graph's host and port, another scheme
    "{scheme}://{host}:{port}.evil.example/v1.0/me/messages/delta",  # a look-alike host
    "{scheme}://{host}:{port}@evil.example/v1.0/me/messages/delta",  # Graph's as user info
    "{scheme}://{host}:{port}/v1.0evil/me/messages/delta",  # the base as a mere prefix
])
async def test_links_that_only_resemble_graphs_base_are_refused(microsoft_sandbox, foreign):
    async with graph_client(microsoft_sandbox, USER, RecordingPacer()) as client:
        scheme, _, rest = client.base.partition("://")
        host, _, port = rest.split("/")[0].rpartition(":")
        link = foreign.format(scheme=scheme, other="http" if scheme == "https" else "https", host=host, port=port)
        with pytest.raises(MalformedResponse) as refused:
            await client.call("GET", link)
        assert refused.value.code == "foreignLink"
        assert client.calls == 0


async def test_the_live_sync_records_the_refusal_and_sends_nothing_elsewhere(outlook, msb, monkeypatch):
    monkeypatch.setenv("INTEGRATIONS_MICROSOFT_PAGE_SIZE", "2")
    box = outlook(email=USER, capabilities={"sync_inbox_live": {"folders": ["inbox"]}})
    fill(msb, 3)
    with foreign_host() as elsewhere:
        msb.add_fault(DELTA, kind="foreign_link", link_base=elsewhere.url)
        await box.run_live()
        assert elsewhere.seen == []
    failing = [s for s in box.states().values() if s["status"] == "failing"]
    assert failing and all("outside its own base URL" in s["last_error"] for s in failing)
