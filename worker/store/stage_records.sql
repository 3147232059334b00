-- name: lock
-- Every writer of one (connection, resource) — live and manual syncs, retries, reconcile repair,
-- actions — serializes here for the rest of its transaction (invariant 4).
select pg_advisory_xact_lock(hashtextextended(%(connection_id)s::text || '|' || %(resource_type)s, 7320005))

-- name: claim
-- Claim the new versions of one page: raw_heads holds the newest hash per object. A payload equal
-- to the newest version is not claimed (the same payload fetched twice is one row); a return to an
-- older state (a label removed, then added back) is. The upsert's row locks make two concurrent
-- stagers of one object agree. Only the claimed objects' payloads are then COPYed to raw_records.
--
-- A stale writer never undoes a tombstone: `fetched_since` is the snapshot the writer took before
-- it fetched; a live version does not replace a tombstone whose transaction that snapshot does not
-- see (committed after the fetch began: the provider answered before the deletion was recorded).
-- A fetch that began after the tombstone was committed does restage the object. NULL: the writer
-- staged what it had just been answered (an action's result), no check.
-- Where the provider orders versions (`version`: Gmail historyId, Calendar `updated`), a version
-- older than the head's is stale whoever stages it last, and is not claimed either.
insert into integrations.raw_heads as head
    (connection_id, resource_type, external_id, payload_hash, is_deleted, txid, version)
select %(connection_id)s, %(resource_type)s, i.external_id, i.payload_hash, i.is_deleted, pg_current_xact_id(),
       i.version::numeric
from unnest(%(external_ids)s::text[], %(hashes)s::text[], %(deleted)s::boolean[], %(versions)s::text[])
    as i (external_id, payload_hash, is_deleted, version)
-- A record that only completes another resource's object (`fenced_by`: a `gmail.labels` record of
-- a `gmail.message`) is never claimed over that object's tombstone, nor when it is older than the
-- object's newest version: a stale label record never overwrites a newer state or a deletion.
where %(fenced_by)s::text is null or not exists (
    select 1 from integrations.raw_heads as owner
    where owner.connection_id = %(connection_id)s and owner.resource_type = %(fenced_by)s::text
      and owner.external_id = i.external_id
      and (owner.is_deleted or coalesce(i.version::numeric < owner.version, false)))
on conflict (connection_id, resource_type, external_id) do update
    set payload_hash = excluded.payload_hash,
        is_deleted = excluded.is_deleted,
        txid = excluded.txid,
        version = excluded.version,
        updated_at = now()
    where head.payload_hash <> excluded.payload_hash
      and not coalesce(excluded.version < head.version, false)
      and not (head.is_deleted and not excluded.is_deleted
               and %(fetched_since)s::text is not null
               and not pg_visible_in_snapshot(head.txid, %(fetched_since)s::text::pg_snapshot))
returning external_id

-- name: snapshot
-- Taken by a writer before it fetches: which transactions had committed by then.
select pg_current_snapshot()::text as snapshot
