"""conversations.* and users.* through slack_sdk's WebClient: paging with its cursor iteration,
scopes, private channels, membership, and Slack's error answers as SlackApiError."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from sandbox.slack import ALL_SCOPES

TEAM = "T0SANDBOX1"


def pages_of(response) -> list[dict]:
    """Every page slack_sdk's cursor iteration fetches (it reuses one response object, so copy each)."""
    return [dict(page.data) for page in response]


def error_of(call, *args, **kwargs) -> dict:
    with pytest.raises(SlackApiError) as failed:
        call(*args, **kwargs)
    assert failed.value.response.status_code == 200
    return failed.value.response.data


@pytest.fixture
def workspace(slack_sandbox):
    sb = slack_sandbox
    ana = sb.add_user(TEAM, {"real_name": "Ana Lopez", "profile": {"email": "ana@acme.test"}})
    ben = sb.add_user(TEAM, {"id": "U0BENBENBEN", "name": "ben", "profile": {"email": "ben@acme.test"}})
    channels = {
        "general": sb.add_channel(TEAM, "general"),
        "random": sb.add_channel(TEAM, "random", bot_member=False),
        "secret": sb.add_channel(TEAM, "secret", is_private=True, members=[ana["id"]]),
        "hidden": sb.add_channel(TEAM, "hidden", is_private=True, bot_member=False, members=[ben["id"]]),
    }
    return {"ana": ana, "ben": ben, **channels}


def test_conversations_list_pages_with_the_sdk_cursor_iteration(slack_sandbox, slack_web_client):
    for index in range(7):
        slack_sandbox.add_channel(TEAM, f"c{index}")
    client = slack_web_client()
    pages = pages_of(client.conversations_list(limit=3))
    assert [len(p["channels"]) for p in pages] == [3, 3, 1]
    assert [c["name"] for p in pages for c in p["channels"]] == [f"c{i}" for i in range(7)]
    assert pages[-1]["response_metadata"]["next_cursor"] == ""
    assert all(c["is_member"] and c["is_channel"] and not c["is_private"] for p in pages for c in p["channels"])


def test_private_channels_are_listed_only_with_groups_read_and_membership(workspace, slack_web_client):
    client = slack_web_client()
    names = [c["name"] for c in client.conversations_list(types="public_channel,private_channel")["channels"]]
    assert names == ["general", "random", "secret"]
    public = [c for c in client.conversations_list()["channels"]]
    assert [c["name"] for c in public] == ["general", "random"]
    assert [c["is_member"] for c in public] == [True, False]
    narrow = slack_web_client(scopes=["channels:read"])
    answer = error_of(narrow.conversations_list, types="public_channel,private_channel")
    assert answer["error"] == "missing_scope" and answer["needed"] == "groups:read"
    assert answer["provided"] == "channels:read"


def test_exclude_archived(slack_sandbox, workspace, slack_web_client):
    slack_sandbox.archive_channel(TEAM, workspace["random"]["id"])
    client = slack_web_client()
    assert [c["name"] for c in client.conversations_list(exclude_archived=True)["channels"]] == ["general"]
    assert len(client.conversations_list()["channels"]) == 2


def test_conversations_info_and_members(workspace, slack_web_client):
    client = slack_web_client()
    info = client.conversations_info(channel=workspace["general"]["id"], include_num_members=True)["channel"]
    assert info["name"] == "general" and info["is_member"] and info["num_members"] == 3
    members = pages_of(client.conversations_members(channel=workspace["general"]["id"], limit=2))
    assert [m for p in members for m in p["members"]] == [workspace["ana"]["id"], "U0BENBENBEN",
                                                          client.install["bot_user_id"]]
    assert error_of(client.conversations_info, channel=workspace["hidden"]["id"])["error"] == "channel_not_found"
    assert error_of(client.conversations_info, channel="C0NOSUCHONE")["error"] == "channel_not_found"
    secret = client.conversations_info(channel=workspace["secret"]["id"])["channel"]
    assert secret["is_private"] and secret["is_member"]


def test_history_needs_membership_and_the_scope_of_the_channel_type(workspace, slack_sandbox, slack_web_client):
    for name in ("general", "random", "secret"):
        slack_sandbox.import_message(TEAM, workspace[name]["id"], {"user": workspace["ana"]["id"], "text": "hi"})
    client = slack_web_client()
    assert len(client.conversations_history(channel=workspace["secret"]["id"])["messages"]) == 1
    assert error_of(client.conversations_history, channel=workspace["random"]["id"])["error"] == "not_in_channel"
    assert error_of(client.conversations_replies, channel=workspace["random"]["id"], ts="1.0")["error"] == \
        "not_in_channel"
    assert error_of(client.conversations_history, channel=workspace["hidden"]["id"])["error"] == "channel_not_found"
    public_only = slack_web_client(scopes=["channels:history"])
    assert len(public_only.conversations_history(channel=workspace["general"]["id"])["messages"]) == 1
    answer = error_of(public_only.conversations_history, channel=workspace["secret"]["id"])
    assert answer["error"] == "missing_scope" and answer["needed"] == "groups:history"
    client.conversations_join(channel=workspace["random"]["id"])
    assert len(client.conversations_history(channel=workspace["random"]["id"])["messages"]) == 1


def test_set_bot_member_takes_the_bot_out_of_a_channel(workspace, slack_sandbox, slack_web_client):
    client = slack_web_client()
    slack_sandbox.set_bot_member(TEAM, workspace["general"]["id"], False)
    assert error_of(client.conversations_history, channel=workspace["general"]["id"])["error"] == "not_in_channel"
    slack_sandbox.set_bot_member(TEAM, workspace["general"]["id"], True)
    assert client.conversations_history(channel=workspace["general"]["id"])["ok"]


def test_users_list_pages_and_shows_emails_only_with_users_read_email(workspace, slack_web_client):
    client = slack_web_client()
    pages = pages_of(client.users_list(limit=2))
    people = [m for p in pages for m in p["members"]]
    assert len(pages) == 2 and len(people) == 3  # the app's bot user, Ana, Ben
    assert [m["is_bot"] for m in people] == [True, False, False]
    assert people[1]["profile"]["email"] == "ana@acme.test" and people[1]["team_id"] == TEAM
    assert people[1]["real_name"] == "Ana Lopez"
    without_email = slack_web_client(scopes=ALL_SCOPES - {"users:read.email"})
    assert all("email" not in m["profile"] for m in without_email.users_list()["members"])
    assert "email" not in without_email.users_info(user="U0BENBENBEN")["user"]["profile"]
    assert client.users_info(user="U0BENBENBEN")["user"]["profile"]["email"] == "ben@acme.test"
    assert error_of(client.users_info, user="U0NOBODY00")["error"] == "user_not_found"
    answer = error_of(slack_web_client(scopes=["channels:read"]).users_list)
    assert answer["error"] == "missing_scope" and answer["needed"] == "users:read"


def test_a_cursor_the_sandbox_did_not_mint_is_invalid_cursor(workspace, slack_web_client):
    client = slack_web_client()
    for call in (client.users_list, client.conversations_list):
        assert error_of(call, cursor="bm9wZQ==")["error"] == "invalid_cursor"
    assert error_of(client.conversations_history, channel=workspace["general"]["id"],
                    cursor="garbage!")["error"] == "invalid_cursor"


def test_workspaces_are_isolated(slack_sandbox, workspace, slack_web_client):
    other = slack_web_client("T0OTHERTEAM")
    assert other.conversations_list()["channels"] == []
    assert error_of(other.conversations_history, channel=workspace["general"]["id"])["error"] == "channel_not_found"
    assert [m["is_bot"] for m in other.users_list()["members"]] == [True]


def test_unknown_method_is_404_unknown_method(slack_web_client):
    with pytest.raises(SlackApiError) as failed:
        slack_web_client().api_call("conversations.nothing")
    assert failed.value.response.status_code == 404 and failed.value.response["error"] == "unknown_method"
