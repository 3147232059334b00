-- Normalization reads raw_records incrementally by writing transaction (txid), so a row that is
-- deleted (a deleted connection's raw records, a hand-made delete, pruned old versions) would
-- never be seen again and what was normalized from it would stay in product.* forever. Every
-- delete from raw_records therefore logs the objects it touched, with the deleting transaction;
-- the intermediate dbt models read this log with the same txid watermark and rebuild (or drop)
-- those objects. The dbt run prunes entries every model has already read.
create table integrations.raw_record_removals (
    connection_id uuid not null,
    tenant_id     uuid not null,
    resource_type text not null,
    external_id   text not null,
    txid          xid8 not null default pg_current_xact_id(),
    removed_at    timestamptz not null default now()
);
create index raw_record_removals_txid_idx on integrations.raw_record_removals (resource_type, txid);

create function integrations.log_raw_record_removals() returns trigger
language plpgsql as $fn$
begin
    insert into integrations.raw_record_removals (connection_id, tenant_id, resource_type, external_id)
    select distinct connection_id, tenant_id, resource_type, external_id from removed;
    return null;
end
$fn$;

create trigger raw_records_log_removals
    after delete on integrations.raw_records
    referencing old table as removed
    for each statement execute function integrations.log_raw_record_removals();
