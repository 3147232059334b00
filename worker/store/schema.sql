-- name: relation_exists
select to_regclass(%(relation)s) is not null as present

-- name: applied_migrations
select version from integrations.schema_migrations

-- name: lock_migrations
-- One migrator at a time on a database (session lock: held across the migrations' transactions).
select pg_advisory_lock(%(key)s)

-- name: unlock_migrations
select pg_advisory_unlock(%(key)s)

-- name: plpgsql_runs
-- A server whose PL/pgSQL library is gone (its installation removed) fails this.
do $$ begin perform 1; end $$

-- name: database_exists
select 1 from pg_database where datname = %(database)s
