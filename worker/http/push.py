"""The push core: a verified notification only enqueues the notified capabilities' cursor syncs.

    request -> provider's `read` (signature, replay window; PushRefused -> 401/403, nothing changes)
            -> the account's connections (none: 404, logged once per account)
            -> provider's `verify` per connection when only the account's secret can verify
            -> the account over its budget (rate-limited webhooks): 429, nothing enqueued
            -> a delivery id seen before: answered, nothing enqueued (provider retries, replays)
            -> per connection and enabled capability: `defer_live` (its queueing lock coalesces
               bursts: 100 notifications are one or two runs) and `push_received` recorded

The notification's content is never trusted as data: the sync reads the provider's API.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from worker.capabilities import Notice, Provider, PushAnswer, PushRefused, PushRequest, Webhook
from worker.connections import load_credentials
from worker.db.timeouts import is_lock_timeout
from worker.http.rates import AccountRates
from worker.store import query
from worker.store.connections import dict_connection
from worker.tasks.dispatch import defer_live

log = logging.getLogger("worker.http.push")
ACTIVE = "active"
LOGGED_UNKNOWN_MAX = 10_000  # accounts remembered as already logged (bounded: a flood cannot grow it)


@dataclass
class Outcome:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    enqueued: int = 0
    headers: dict | None = None


@dataclass
class UnknownAccounts:
    """Logs an unknown account once, not on every request (a misconfigured provider retries forever)."""

    seen: set = field(default_factory=set)

    def log_once(self, provider: str, account_id: str, path: str) -> None:
        key = (provider, account_id)
        if key in self.seen:
            return
        if len(self.seen) < LOGGED_UNKNOWN_MAX:
            self.seen.add(key)
        log.warning("push for unknown %s account %s on /webhooks/%s: no connection holds it (answered 404;"
                    " logged once)", provider, account_id, path)


async def receive(pool, keyring, unknown: UnknownAccounts, provider: Provider, webhook: Webhook,
                  request: PushRequest, rates: AccountRates | None = None) -> Outcome:
    try:  # off the event loop: verifying may fetch keys (Google's certs) and parsing 1 MB takes a while
        read = await asyncio.to_thread(webhook.read, request)
    except PushRefused as refused:
        log.warning("refused push on /webhooks/%s: %s (%d)", webhook.path, refused.reason, refused.status)
        return Outcome(refused.status, refused.reason.encode())
    except (ValueError, RecursionError) as error:  # not a notification this provider sends (or JSON too deep)
        reason = str(error) if isinstance(error, ValueError) else "the body is nested too deeply"
        log.warning("bad push request on /webhooks/%s: %s", webhook.path, reason)
        return Outcome(400, reason.encode())
    if isinstance(read, PushAnswer):
        return Outcome(read.status, read.body, read.content_type)
    if not read:  # verified, and about nothing we sync
        return _accepted(webhook, 0)

    async with dict_connection(pool) as conn:
        if webhook.resolve is not None:  # a channel of ours -> its account (PushRefused: token mismatch)
            try:
                read = await webhook.resolve(conn, request, read)
            except PushRefused as refused:
                log.warning("refused push on /webhooks/%s: %s (%d)", webhook.path, refused.reason, refused.status)
                return Outcome(refused.status, refused.reason.encode())
            if isinstance(read, PushAnswer):
                return Outcome(read.status, read.body, read.content_type)
        targets: list[tuple[dict, Notice]] = []
        for notice in read:
            rows = await (await conn.execute(query("push.connections_of_account"),
                                             {"provider": provider.name, "account_id": notice.account_id})).fetchall()
            if not rows:
                unknown.log_once(provider.name, notice.account_id, webhook.path)
                continue
            if webhook.verify is not None:
                rows = [r for r in rows if webhook.verify(request, _credentials(keyring, r))]
                if not rows:
                    log.warning("refused push on /webhooks/%s for %s account %s: the signature matches no stored"
                                " webhook secret (403)", webhook.path, provider.name, notice.account_id)
                    return Outcome(403, b"signature does not verify")
            targets.extend((row, notice) for row in rows)
        if not targets:
            return Outcome(404, b"unknown account")
        if webhook.rate_limited and rates is not None:
            for account_id in sorted({notice.account_id for _, notice in targets}):
                if not rates.allow(provider.name, account_id):
                    log.warning("push for %s account %s on /webhooks/%s answered 429: over"
                                " INTEGRATIONS_WEBHOOK_ACCOUNT_REQUESTS_PER_MINUTE", provider.name, account_id,
                                webhook.path)
                    return Outcome(429, b"too many notifications for this account: retry later",
                                   headers={"Retry-After": "60"})

        claimed = await _claim(conn, provider.name, read)
    if claimed is None:
        return _accepted(webhook, 0)
    # no connection is held while enqueueing: defer_live takes its own from the pool, and a burst
    # holding one each while waiting for another would exhaust it
    try:
        enqueued, notified = 0, []
        for row, notice in targets:
            if row["status"] != ACTIVE:
                continue  # needs_reauth, disabled: its syncs wait for the operator, not for pushes
            for capability in notice.capabilities:
                if capability not in row["capabilities"]:
                    continue
                if await defer_live(row["id"], capability, provider=provider.name) is not None:
                    enqueued += 1
                notified.append((row["id"], capability))
        async with dict_connection(pool) as conn:
            for connection_id, capability in notified:
                await conn.execute(query("push.record_received"),
                                   {"connection_id": connection_id, "capability": capability})
            await conn.commit()
    except BaseException as error:
        async with dict_connection(pool) as conn:
            await _release(conn, provider.name, claimed)  # the provider's retry is then handled
        if isinstance(error, Exception) and is_lock_timeout(error):
            log.warning("push on /webhooks/%s not enqueued: a lock was held longer than"
                        " INTEGRATIONS_DEFER_LOCK_TIMEOUT_SECONDS (a worker stopped inside a transaction?); 503,"
                        " the provider retries", webhook.path)
            return Outcome(503, b"busy: retry later", headers={"Retry-After": "30"})
        raise
    return _accepted(webhook, enqueued)


def _accepted(webhook: Webhook, enqueued: int) -> Outcome:
    answer = webhook.accepted
    return Outcome(answer.status, answer.body, answer.content_type, enqueued)


def _credentials(keyring, row: dict) -> dict | None:
    try:
        return load_credentials(keyring, row)
    except Exception:  # undecryptable credentials verify nothing (and are `status`'s to report)
        log.warning("connection %s: stored credentials could not be decrypted to verify a push", row["id"])
        return None


async def _claim(conn, provider: str, notices: list[Notice]) -> list[str] | None:
    """The delivery ids of this request, claimed; None when one was seen before (a retry)."""
    ids = sorted({n.delivery_id for n in notices if n.delivery_id})
    claimed = []
    for delivery_id in ids:
        row = await (await conn.execute(query("push.claim_delivery"),
                                        {"provider": provider, "delivery_id": delivery_id})).fetchone()
        if row is None:
            await conn.commit()
            await _release(conn, provider, claimed)
            log.info("%s delivery %s seen before: a retry, nothing enqueued", provider, delivery_id)
            return None
        claimed.append(delivery_id)
    await conn.commit()
    return claimed


async def _release(conn, provider: str, delivery_ids: list[str]) -> None:
    for delivery_id in delivery_ids:
        await conn.execute(query("push.release_delivery"), {"provider": provider, "delivery_id": delivery_id})
    await conn.commit()
