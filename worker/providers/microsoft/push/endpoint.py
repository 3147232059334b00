"""Microsoft's push endpoint (`POST /webhooks/microsoft`): Graph change notifications and lifecycle events.

    ?validationToken=...   Graph validating the URL (subscription created): 200 text/plain echoing the
                           token, URL-decoded, nothing else done (serve adds nosniff to every webhook
                           answer; a token longer than MAX_VALIDATION_TOKEN is 400, not echoed)
    {"value": [item...]}   each item names its subscriptionId: looked up in push_watches (unknown ->
                           404 when no item is known, logged once per subscription); its clientState is
                           compared with the stored sha256 in constant time (one mismatch -> 403 and
                           nothing is enqueued); then
        a change (changeType)                       -> the capability's live (delta) sync is deferred
        lifecycleEvent `missed`                     -> the same: the delta sync finds what was missed
        lifecycleEvent `subscriptionRemoved`        -> a new subscription (task), and the delta sync
        lifecycleEvent `reauthorizationRequired`    -> reauthorized (task)

The items are never trusted as data: they only make the delta sync run sooner. Accepted: 202.
"""

from __future__ import annotations

import hmac
import json
import logging
from urllib.parse import parse_qs, urlsplit

from procrastinate.exceptions import AlreadyEnqueued

from worker.capabilities import Notice, PushAnswer, PushRefused, PushRequest, Webhook
from worker.providers.microsoft.push.subscriptions import PATH, PROVIDER, client_state_hash
from worker.providers.microsoft.push.tasks import subscription_lifecycle
from worker.store import query

log = logging.getLogger("worker.providers.microsoft.push")
LOGGED_MAX = 10_000
SYNCED_LIFECYCLE = ("missed", "subscriptionRemoved")  # events after which changes may have been missed
TASKED_LIFECYCLE = ("reauthorizationRequired", "subscriptionRemoved")
_logged_subscriptions: set[str] = set()
MAX_VALIDATION_TOKEN = 1024  # Graph's are about 120 characters: anything this long is not Graph's


def validation_token(url: str) -> str | None:
    values = parse_qs(urlsplit(url).query, keep_blank_values=True).get("validationToken")
    return values[0] if values else None


def items_of(body: bytes) -> list[dict]:
    try:
        parsed = json.loads(body or b"null")
    except ValueError:
        raise ValueError("the body is not JSON") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("value"), list):
        raise ValueError('the body is not {"value": [...]}')
    items = parsed["value"]
    if not all(isinstance(i, dict) and isinstance(i.get("subscriptionId"), str) for i in items):
        raise ValueError("every notification names its subscriptionId")
    return items


def read(request: PushRequest) -> list[Notice] | PushAnswer:
    token = validation_token(request.url)
    if token is not None:  # Graph's handshake: the token back, as plain text
        if len(token) > MAX_VALIDATION_TOKEN:
            raise ValueError(f"validationToken longer than {MAX_VALIDATION_TOKEN} characters: not Graph's")
        return PushAnswer(200, token.encode(), "text/plain; charset=utf-8")
    items = items_of(request.body)
    return [Notice("", (), None)] if items else []  # the accounts: `resolve`


def client_state_matches(given, token_hash: str | None) -> bool:
    return (isinstance(given, str) and bool(given) and bool(token_hash)
            and hmac.compare_digest(client_state_hash(given), token_hash))


async def resolve(conn, request: PushRequest, notices: list[Notice]) -> list[Notice] | PushAnswer:
    known: list[tuple[dict, dict]] = []
    for item in items_of(request.body):
        subscription = item["subscriptionId"]
        row = await (await conn.execute(query("push_watches.by_channel"), {"channel_id": subscription})).fetchone()
        if row is None or row["provider"] != PROVIDER:
            _log_unknown_once(subscription)
            continue
        if not client_state_matches(item.get("clientState"), row["token_hash"]):
            raise PushRefused(403, "clientState does not match the subscription's")
        known.append((item, row))
    if not known:
        return PushAnswer(404, b"unknown subscription")
    out: list[Notice] = []
    for item, row in known:
        event = item.get("lifecycleEvent")
        if event in TASKED_LIFECYCLE:
            await _defer_lifecycle(row, item["subscriptionId"], event)
        if event is None or event in SYNCED_LIFECYCLE:
            out.append(Notice(row["account_id"], (row["capability"],), None))
        elif event not in TASKED_LIFECYCLE:
            log.info("Graph lifecycle event %r for subscription %s: nothing to do", str(event)[:40],
                     item["subscriptionId"])
    return out or PushAnswer(202)


async def _defer_lifecycle(row: dict, subscription_id: str, event: str) -> None:
    lock = f"{row['connection_id']}:{row['capability']}:subscription"
    try:
        await subscription_lifecycle.configure(queueing_lock=lock).defer_async(
            connection_id=str(row["connection_id"]), capability=row["capability"], subscription_id=subscription_id,
            event=event)
    except AlreadyEnqueued:
        pass


def _log_unknown_once(subscription: str) -> None:
    if subscription in _logged_subscriptions:
        return
    if len(_logged_subscriptions) < LOGGED_MAX:
        _logged_subscriptions.add(subscription)
    log.warning("push for unknown Graph subscription %s: answered 404 (logged once)", subscription[:64])


WEBHOOK = Webhook(path=PATH, read=read, resolve=resolve, accepted=PushAnswer(202))
