"""``/2010-04-01/Accounts/{AccountSid}/Calls``: list, fetch and delete call records.

Calls reach the sandbox by import (``Sandbox.import_call``, the admin API, the generator); the
list filters on ``To``, ``From``, ``Status``, ``ParentCallSid`` and the ``StartTime``/``EndTime``
date filters (``paging``), newest ``start_time`` first (creation for calls not started).
"""

from __future__ import annotations

from . import paging
from .errors import not_found


def list_calls(call) -> dict:
    req = call.req
    wanted = {field: req.param(name) for name, field in (
        ("To", "to"), ("From", "from"), ("Status", "status"), ("ParentCallSid", "parent_call_sid"))}
    started, ended = paging.date_filter(req, "StartTime"), paging.date_filter(req, "EndTime")
    chosen = []
    for record in call.account.calls.values():
        if any(value and record.data.get(field) != value for field, value in wanted.items()):
            continue
        if started is not None and not started(record.time_at):
            continue
        if ended is not None and not ended(record.end_at):
            continue
        chosen.append(record)
    return paging.page(req, call.world.newest_first(chosen), "calls", lambda r: dict(r.data))


def fetch_call(call) -> dict:
    record = call.account.calls.get(call.sid)
    if record is None:
        raise not_found(call.req.path)
    return dict(record.data)


def delete_call(call):
    if call.account.calls.pop(call.sid, None) is None:
        raise not_found(call.req.path)
    return 204, None
