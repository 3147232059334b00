"""Generated tenants: deterministic per seed, shared mail and meetings across colleagues, and every
generated resource served (and parsed by msgraph-sdk) like any other."""

from __future__ import annotations

from msgraph.generated.models.event_collection_response import EventCollectionResponse
from msgraph.generated.models.message_collection_response import MessageCollectionResponse

from sandbox.microsoft import Sandbox
from tests.sandbox.microsoft.graph_models import parse

USERS = ["ana@acme.example", "ben@acme.example"]


def subjects(sb, user):
    return [sb.get_message(user, i)["subject"] for i in sb.message_ids(user)]


def test_same_seed_same_tenant_and_colleagues_share_mail_and_meetings(microsoft_sandbox):
    summary = microsoft_sandbox.generate(USERS, messages=30, events=10, seed=3)
    assert summary["users"] == USERS and summary["events"] >= 20
    assert summary["messages"] == sum(len(microsoft_sandbox.message_ids(u)) for u in USERS) >= 60
    other = Sandbox(seed=0)
    other.generate(USERS, messages=30, events=10, seed=3)
    assert subjects(other, USERS[0]) == subjects(microsoft_sandbox, USERS[0])

    shared = summary["shared"][0]
    holders = [u for u in USERS if any(microsoft_sandbox.get_message(u, i)["internetMessageId"] == shared
                                       for i in microsoft_sandbox.message_ids(u))]
    assert holders == USERS
    uids = [{e.ical_uid for e in account.events.values()}
            for account in (microsoft_sandbox.world.calendar_account(u) for u in USERS)]
    assert uids[0] & uids[1]


def test_generated_data_is_served_and_parses(microsoft_sandbox, graph_client):
    microsoft_sandbox.generate(USERS, messages=25, events=12)
    client = graph_client(USERS[0])
    messages = client.get("/me/mailFolders/inbox/messages", params={"$top": "50"})
    parsed = parse(MessageCollectionResponse, messages.content)
    assert len(parsed.value) == len(microsoft_sandbox.message_ids(USERS[0], "inbox"))
    view = client.get("/me/calendarView", params={"startDateTime": "2024-04-01T00:00:00Z",
                                                   "endDateTime": "2024-09-01T00:00:00Z", "$top": "500"})
    events = parse(EventCollectionResponse, view.content).value
    kinds = {e.type.value for e in events}
    assert {"singleInstance", "occurrence", "exception"} <= kinds
