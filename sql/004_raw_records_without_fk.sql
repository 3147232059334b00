-- Staging writes raw_records at close to bare-COPY speed; a per-row foreign key check on every
-- version was a tenth of its cost. The connection is already checked once per object by
-- raw_heads' foreign key in the same transaction (every staged row is claimed there first), and
-- a trigger keeps the cascade: deleting a connection deletes its raw records.
alter table integrations.raw_records drop constraint raw_records_connection_id_fkey;

create function integrations.delete_raw_records_of_connection() returns trigger
language plpgsql as $fn$
begin
    delete from integrations.raw_records where connection_id = old.id;
    return old;
end
$fn$;

create trigger connections_delete_raw_records
    after delete on integrations.connections
    for each row execute function integrations.delete_raw_records_of_connection();
