-- Stage one page of provider objects. raw_heads holds the newest hash per object: a payload equal
-- to the newest version is skipped (the same payload fetched twice is one row), while a return to
-- an older state (a label removed, then added back) is a new version. Row locks on raw_heads make
-- two concurrent stagers of one object agree.
with incoming as (
    select external_id, payload, is_deleted, ord
    from unnest(%(external_ids)s::text[], %(payloads)s::jsonb[], %(deleted)s::boolean[])
        with ordinality as i (external_id, payload, is_deleted, ord)
),

hashed as (
    select
        external_id,
        payload,
        is_deleted,
        ord,
        encode(sha256(convert_to(payload::text, 'UTF8')), 'hex')
            || case when is_deleted then ':deleted' else '' end as payload_hash
    from incoming
),

changed as (
    insert into integrations.raw_heads as head
        (connection_id, resource_type, external_id, payload_hash, is_deleted)
    select %(connection_id)s, %(resource_type)s, external_id, payload_hash, is_deleted
    from hashed
    on conflict (connection_id, resource_type, external_id) do update
        set payload_hash = excluded.payload_hash,
            is_deleted = excluded.is_deleted,
            updated_at = now()
        where head.payload_hash <> excluded.payload_hash
    returning external_id
)

insert into integrations.raw_records
    (connection_id, tenant_id, capability, resource_type, external_id, payload, payload_hash, is_deleted)
select
    %(connection_id)s, %(tenant_id)s, %(capability)s, %(resource_type)s,
    hashed.external_id, hashed.payload, hashed.payload_hash, hashed.is_deleted
from hashed
join changed using (external_id)
order by hashed.ord
returning id
