"""Gmail reconcile: `messages.list` ids of the synced labels (5 units per 500 ids) against
raw_heads and product.email_mailboxes."""

from __future__ import annotations

from worker.providers.google.capabilities import InboxLiveSettings
from worker.providers.google.errors import NotFound
from worker.providers.google.gmail.api import GmailApi
from worker.providers.google.gmail.live import (
    CAPABILITY, HIDDEN_LABELS, RESOURCE, PageStager, fetch_bodies, newer_than_query,
)
from worker.reconcile.result import Reconciliation
from worker.reconcile.staged import stream_staged
from worker.store.staging import RawObject


def in_scope(labels: list[str] | None, settings: InboxLiveSettings) -> bool:
    labels = set(labels or [])
    if not settings.include_spam_trash and labels & HIDDEN_LABELS:
        return False
    return bool(labels & set(settings.labels))


async def provider_ids(api: GmailApi, settings: InboxLiveSettings) -> set[str]:
    ids: set[str] = set()
    for label in settings.labels:
        token = None
        while True:
            page = await api.list_messages(label=label, q=newer_than_query(settings), page_token=token,
                                           include_spam_trash=settings.include_spam_trash)
            ids.update(m["id"] for m in page.get("messages", []))
            token = page.get("nextPageToken")
            if not token:
                break
    return ids


async def staged_ids(ctx, settings: InboxLiveSettings) -> set[str]:
    return {external_id async for external_id, labels, _ in stream_staged(ctx, RESOURCE) if in_scope(labels, settings)}


async def normalized_ids(ctx, settings: InboxLiveSettings) -> set[str] | None:
    async with ctx.db() as conn:
        present = await (await conn.execute("select to_regclass('product.email_mailboxes') is not null as p")).fetchone()
        if not present["p"]:
            return None
        rows = await (await conn.execute(
            "select provider_message_id, labels from product.email_mailboxes"
            " where connection_id = %s and not is_deleted", (ctx.connection_id,))).fetchall()
    return {r["provider_message_id"] for r in rows if in_scope(r["labels"], settings)}


async def repair(ctx, ids: set[str]) -> int:
    """Fetch each id and stage what the provider holds now: the message (missing, or relabelled out
    of scope) or a tombstone (gone)."""
    if not ids:
        return 0
    api = GmailApi(ctx)
    stager = PageStager(ctx, CAPABILITY)
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start:start + 500]
        await stager.begin_fetch()
        outcome = await api.get_messages(chunk)
        objects, failures = [], []
        for message_id in chunk:
            result = outcome[message_id]
            if isinstance(result, NotFound):
                objects.append(RawObject(message_id, {"id": message_id}, is_deleted=True))
            elif isinstance(result, Exception):
                failures.append((message_id, str(result)))
            else:
                objects.append(RawObject(message_id, result))
        await stager.commit(objects, None, failures=failures, bodies=await fetch_bodies(api, objects))
    return stager.staged


async def reconcile_gmail(ctx, do_repair: bool) -> Reconciliation:
    settings = InboxLiveSettings.model_validate(ctx.connection["settings"].get(CAPABILITY) or {})
    api = GmailApi(ctx)
    listed = await provider_ids(api, settings)
    staged = await staged_ids(ctx, settings)
    result = Reconciliation(CAPABILITY, provider=len(listed), staged=len(staged),
                            missing=sorted(listed - staged), extra=sorted(staged - listed))
    if do_repair and (result.missing or result.extra):
        result.repaired = await repair(ctx, set(result.missing) | set(result.extra))
        staged = await staged_ids(ctx, settings)
        result.staged, result.missing, result.extra = len(staged), sorted(listed - staged), sorted(staged - listed)
    normalized = await normalized_ids(ctx, settings)
    if normalized is not None:
        result.normalized = len(normalized)
        result.not_normalized = sorted(listed - normalized)
        result.normalized_extra = sorted(normalized - listed)
    return result
