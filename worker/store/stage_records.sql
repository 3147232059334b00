-- Claim the new versions of one page: raw_heads holds the newest hash per object. A payload equal
-- to the newest version is not claimed (the same payload fetched twice is one row); a return to an
-- older state (a label removed, then added back) is. The upsert's row locks make two concurrent
-- stagers of one object agree. Only the claimed objects' payloads are then COPYed to raw_records.
insert into integrations.raw_heads as head
    (connection_id, resource_type, external_id, payload_hash, is_deleted)
select %(connection_id)s, %(resource_type)s, i.external_id, i.payload_hash, i.is_deleted
from unnest(%(external_ids)s::text[], %(hashes)s::text[], %(deleted)s::boolean[])
    as i (external_id, payload_hash, is_deleted)
on conflict (connection_id, resource_type, external_id) do update
    set payload_hash = excluded.payload_hash,
        is_deleted = excluded.is_deleted,
        updated_at = now()
    where head.payload_hash <> excluded.payload_hash
returning external_id
