-- Staging integrity (invariants 2 and 4, reconcile repair).
--
-- raw_records.sanitized: what staging changed to make a payload storable, e.g. '\u0000 escaped'
-- (jsonb refuses a NUL escape and lone surrogates; staging turns them into visible text escapes
-- instead of failing the page). NULL: stored exactly as the provider sent it.
alter table integrations.raw_records add column if not exists sanitized text;

-- raw_heads.txid: the transaction that wrote the head version. A writer compares it with the
-- snapshot it took before fetching: a live version fetched before a tombstone was committed never
-- replaces that tombstone (see worker/store/stage_records.sql).
alter table integrations.raw_heads add column if not exists txid xid8 not null default pg_current_xact_id();

-- raw_heads.version: the provider's own ordering of an object's versions where it has one (Gmail
-- message historyId, Calendar event `updated` in epoch microseconds): an older version never
-- replaces a newer head, whichever writer stages it last. NULL: no ordering known.
alter table integrations.raw_heads add column if not exists version numeric;

-- raw_heads must never claim a version no raw row holds (staging dedups against it, so a claimed
-- but missing version could never be restaged): deleting raw rows moves each touched head back to
-- the newest remaining row, or removes it when none is left.
create or replace function integrations.raw_heads_follow_deleted_rows() returns trigger
language plpgsql as $fn$
begin
    with touched as (
        select distinct connection_id, resource_type, external_id from gone
    ), newest as (
        select t.connection_id, t.resource_type, t.external_id, n.payload_hash, n.is_deleted, n.txid
        from touched as t
        left join lateral (
            select r.payload_hash, r.is_deleted, r.txid
            from integrations.raw_records as r
            where r.connection_id = t.connection_id and r.resource_type = t.resource_type
              and r.external_id = t.external_id
            order by r.id desc
            limit 1
        ) as n on true
    ), dropped as (
        delete from integrations.raw_heads as h
        using newest as n
        where n.payload_hash is null and h.connection_id = n.connection_id
          and h.resource_type = n.resource_type and h.external_id = n.external_id
    )
    update integrations.raw_heads as h
    set payload_hash = n.payload_hash, is_deleted = n.is_deleted, txid = n.txid, version = null,
        updated_at = now()
    from newest as n
    where n.payload_hash is not null and h.connection_id = n.connection_id
      and h.resource_type = n.resource_type and h.external_id = n.external_id
      and (h.payload_hash, h.is_deleted) is distinct from (n.payload_hash, n.is_deleted);
    return null;
end
$fn$;

drop trigger if exists raw_records_deleted_fix_heads on integrations.raw_records;
create trigger raw_records_deleted_fix_heads
    after delete on integrations.raw_records
    referencing old table as gone
    for each statement execute function integrations.raw_heads_follow_deleted_rows();

create or replace function integrations.raw_heads_follow_truncate() returns trigger
language plpgsql as $fn$
begin
    delete from integrations.raw_heads;
    return null;
end
$fn$;

drop trigger if exists raw_records_truncated_clear_heads on integrations.raw_records;
create trigger raw_records_truncated_clear_heads
    after truncate on integrations.raw_records
    for each statement execute function integrations.raw_heads_follow_truncate();

-- Heads left wrong by earlier deletes: the same correction, once, over every head.
delete from integrations.raw_heads as h
where not exists (
    select 1 from integrations.raw_records as r
    where r.connection_id = h.connection_id and r.resource_type = h.resource_type
      and r.external_id = h.external_id
);
with newest as (
    select distinct on (connection_id, resource_type, external_id)
        connection_id, resource_type, external_id, payload_hash, is_deleted
    from integrations.raw_records
    order by connection_id, resource_type, external_id, id desc
)
update integrations.raw_heads as h
set payload_hash = n.payload_hash, is_deleted = n.is_deleted, version = null, updated_at = now()
from newest as n
where h.connection_id = n.connection_id and h.resource_type = n.resource_type
  and h.external_id = n.external_id
  and (h.payload_hash, h.is_deleted) is distinct from (n.payload_hash, n.is_deleted);
