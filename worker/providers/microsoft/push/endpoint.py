"""Microsoft's push endpoint (`POST /webhooks/microsoft`): Graph change notifications and lifecycle events.

    ?validationToken=...   Graph validating the URL (subscription created): 200 text/plain echoing the
                           token, URL-decoded, nothing else done (serve adds nosniff to every webhook
                           answer; a token longer than MAX_VALIDATION_TOKEN is 400, not echoed)
    {"value": [item...]}   parsed once; more than INTEGRATIONS_MICROSOFT_PUSH_MAX_ITEMS items -> 400 and an
                           item without clientState -> 403, both before any lookup; the distinct
                           subscriptionIds looked up in push_watches in one query (unknown -> 404 when no
                           item is known, logged once per subscription); each clientState compared with
                           the stored sha256 in constant time (one mismatch -> 403, nothing enqueued); then
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
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from procrastinate.exceptions import AlreadyEnqueued

from worker.capabilities import Notice, PushAnswer, PushRefused, PushRequest, Webhook
from worker.providers.microsoft.push.subscriptions import PATH, PROVIDER, client_state_hash
from worker.providers.microsoft.push.tasks import subscription_lifecycle
from worker.settings import get_settings
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


@dataclass(frozen=True)
class Item:
    """What the endpoint reads of one notification: which subscription, its proof, its lifecycle event."""

    subscription: str
    client_state: str
    event: str | None


def items_of(body: bytes, max_items: int) -> tuple[Item, ...]:
    """The distinct items of the body, parsed once. Refused before any lookup: what is not JSON or
    too deep (400), more than `max_items` items (400), an item without a clientState (403: it
    cannot verify, so neither can the delivery)."""
    try:
        parsed = json.loads(body or b"null")
    except ValueError:  # UnicodeDecodeError too; too deep (RecursionError) is the push core's 400
        raise ValueError("the body is not JSON") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("value"), list):
        raise ValueError('the body is not {"value": [...]}')
    items = parsed["value"]
    if len(items) > max_items:
        raise ValueError(f"a delivery holds at most {max_items} notifications (INTEGRATIONS_MICROSOFT_PUSH_MAX_ITEMS)")
    if not all(isinstance(i, dict) and isinstance(i.get("subscriptionId"), str) for i in items):
        raise ValueError("every notification names its subscriptionId")
    if not all(isinstance(i.get("clientState"), str) and i["clientState"] for i in items):
        raise PushRefused(403, "a notification without clientState cannot be verified")
    return tuple(dict.fromkeys(Item(i["subscriptionId"], i["clientState"],
                                    i["lifecycleEvent"] if isinstance(i.get("lifecycleEvent"), str) else None)
                               for i in items))


def read(request: PushRequest) -> list[Notice] | PushAnswer:
    token = validation_token(request.url)
    if token is not None:  # Graph's handshake: the token back, as plain text
        if len(token) > MAX_VALIDATION_TOKEN:
            raise ValueError(f"validationToken longer than {MAX_VALIDATION_TOKEN} characters: not Graph's")
        return PushAnswer(200, token.encode(), "text/plain; charset=utf-8")
    items = items_of(request.body, get_settings().microsoft_push_max_items)
    return [Notice("", (), None, detail=items)] if items else []  # the accounts: `resolve`


def client_state_matches(given, token_hash: str | None) -> bool:
    return (isinstance(given, str) and bool(given) and bool(token_hash)
            and hmac.compare_digest(client_state_hash(given), token_hash))


async def resolve(conn, request: PushRequest, notices: list[Notice]) -> list[Notice] | PushAnswer:
    items = [item for notice in notices for item in notice.detail or ()]
    ids = sorted({item.subscription for item in items})
    rows = {row["channel_id"]: row for row in await (await conn.execute(
        query("push_watches.by_channels"), {"channel_ids": ids})).fetchall() if row["provider"] == PROVIDER}
    known: list[tuple[Item, dict]] = []
    for item in items:
        row = rows.get(item.subscription)
        if row is None:
            _log_unknown_once(item.subscription)
            continue
        if not client_state_matches(item.client_state, row["token_hash"]):
            raise PushRefused(403, "clientState does not match the subscription's")
        known.append((item, row))
    if not known:
        return PushAnswer(404, b"unknown subscription")
    out: list[Notice] = []
    for item, row in known:
        event = item.event
        if event in TASKED_LIFECYCLE:
            await _defer_lifecycle(row, item.subscription, event)
        if event is None or event in SYNCED_LIFECYCLE:
            out.append(Notice(row["account_id"], (row["capability"],), None))
        elif event not in TASKED_LIFECYCLE:
            log.info("Graph lifecycle event %r for subscription %s: nothing to do", event[:40], item.subscription)
    return list(dict.fromkeys(out)) or PushAnswer(202)


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
