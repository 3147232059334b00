"""``users.list`` (cursor paging) and ``users.info``; ``profile.email`` only with ``users:read.email``."""

from __future__ import annotations

import copy
import time

from . import ids
from . import scopes as slack_scopes
from .call import Call
from .errors import SlackError


def present(call: Call, user: dict) -> dict:
    out = copy.deepcopy(user)
    if slack_scopes.USERS_READ_EMAIL not in call.caller.scopes:
        out.get("profile", {}).pop("email", None)
    return out


def users_list(call: Call) -> dict:
    call.require(slack_scopes.USERS_READ)
    people = list(call.team.users.values())
    start = 0
    cursor = call.args.text("cursor")
    if cursor:
        try:
            position = ids.decode_cursor(cursor, "user")
        except ValueError:
            raise SlackError("invalid_cursor") from None
        order = [u["id"] for u in people]
        if position not in order:
            raise SlackError("invalid_cursor")
        start = order.index(position)
    limit = call.args.number("limit", len(people) or 1, 1000)
    page = people[start:start + limit]
    rest = people[start + limit:]
    return {"members": [present(call, u) for u in page], "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": ids.encode_cursor("user", rest[0]["id"]) if rest else ""}}


def users_info(call: Call) -> dict:
    call.require(slack_scopes.USERS_READ)
    user = call.team.users.get(call.args.text("user") or "")
    if user is None:
        raise SlackError("user_not_found")
    return {"user": present(call, user)}


METHODS = {"users.list": users_list, "users.info": users_info}
