"""Calendar's push endpoint (`POST /webhooks/google/calendar`): a watch channel's notification.

No body; headers only: X-Goog-Channel-ID (a channel we created), X-Goog-Channel-Token (the channel's
secret, echoed), X-Goog-Resource-ID, X-Goog-Resource-State (`sync` when the channel is created:
answered, nothing enqueued; then `exists`), X-Goog-Message-Number. The channel is looked up in
push_watches: unknown -> 404 (logged once per channel), a token whose sha256 is not the stored one ->
403; otherwise the connection's calendar sync is notified (it reads the changes from its syncToken).
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from worker.capabilities import Notice, PushAnswer, PushRefused, PushRequest, Webhook
from worker.store import query

log = logging.getLogger("worker.providers.google.push")
PATH = "google/calendar"
NOTIFIED = ("sync_calendar_live",)
LOGGED_MAX = 10_000
_logged_channels: set[str] = set()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def read(request: PushRequest) -> list[Notice]:
    channel = request.headers.get("x-goog-channel-id", "")
    if not channel:
        raise ValueError("missing X-Goog-Channel-ID")
    if request.headers.get("x-goog-resource-state", "") == "sync":
        return []  # the channel's creation: nothing changed
    number = request.headers.get("x-goog-message-number", "")
    return [Notice("", NOTIFIED, f"{channel}:{number}" if number else None)]  # the account: `resolve`


async def resolve(conn, request: PushRequest, notices: list[Notice]) -> list[Notice] | PushAnswer:
    channel = request.headers.get("x-goog-channel-id", "")
    row = await (await conn.execute(query("push_watches.by_channel"), {"channel_id": channel})).fetchone()
    if row is None:
        if channel not in _logged_channels:
            if len(_logged_channels) < LOGGED_MAX:
                _logged_channels.add(channel)
            log.warning("push for unknown Google Calendar channel %s: answered 404 (logged once)", channel[:64])
        return PushAnswer(404, b"unknown channel")
    token = request.headers.get("x-goog-channel-token", "")
    if not token or not row["token_hash"] or not hmac.compare_digest(token_hash(token), row["token_hash"]):
        raise PushRefused(403, "X-Goog-Channel-Token does not match the channel's token")
    resource = request.headers.get("x-goog-resource-id", "")
    if row["resource_id"] and resource != row["resource_id"]:
        raise PushRefused(403, "X-Goog-Resource-ID is not the channel's resource")
    return [Notice(row["account_id"], NOTIFIED, notice.delivery_id) for notice in notices]


WEBHOOK = Webhook(path=PATH, read=read, resolve=resolve)
