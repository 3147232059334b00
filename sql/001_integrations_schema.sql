-- The integrations schema: connected accounts, per-capability sync cursors, and the raw buffer.
-- Raw provider JSON is the durable buffer: normalization (dbt) can always be re-run from it.

create schema if not exists integrations;

-- Providers and their ownership model. A connection's profile_id requirement follows from it.
create table integrations.providers (
    provider   text primary key,
    ownership  text not null check (ownership in ('user', 'tenant')),
    unique (provider, ownership)
);
insert into integrations.providers (provider, ownership) values
    ('google', 'user'),
    ('slack', 'tenant');

create table integrations.connections (
    id                 uuid primary key default gen_random_uuid(),
    tenant_id          uuid not null,
    profile_id         uuid,
    provider           text not null,
    ownership          text not null,
    account_id         text not null,
    credentials        bytea,            -- AES-GCM ciphertext with its key id; never plaintext
    credentials_key_id text,
    granted_scopes     text[] not null default '{}',
    capabilities       text[] not null default '{}',
    settings           jsonb not null default '{}'::jsonb,  -- keyed by capability name
    status             text not null default 'active'
                       check (status in ('active', 'needs_reauth', 'revoked', 'disabled')),
    status_reason      text,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now(),
    foreign key (provider, ownership) references integrations.providers (provider, ownership),
    constraint connections_owner_matches_provider check (
        (ownership = 'user' and profile_id is not null)
        or (ownership = 'tenant' and profile_id is null)
    ),
    constraint connections_settings_is_object check (jsonb_typeof(settings) = 'object'),
    -- one account is connected once per owner (a tenant, or a tenant's profile)
    constraint connections_one_per_owner
        unique nulls not distinct (tenant_id, profile_id, provider, account_id)
);
create index connections_tenant_idx on integrations.connections (tenant_id);

create table integrations.sync_state (
    connection_id        uuid not null references integrations.connections (id) on delete cascade,
    capability           text not null,
    stream               text not null default '',   -- e.g. a calendar id
    cursor               jsonb not null default '{}'::jsonb,
    status               text not null default 'pending',
    last_success_at      timestamptz,
    last_attempt_at      timestamptz,
    last_error           text,
    consecutive_failures integer not null default 0,
    next_run_at          timestamptz,
    full_syncs           integer not null default 0,
    last_full_sync_reason text,
    reconcile            jsonb,
    updated_at           timestamptz not null default now(),
    primary key (connection_id, capability, stream)
);

-- One row per provider object version. `txid` is the writing transaction, so normalization can
-- take a watermark that never skips a row committed late by a concurrent writer.
create table integrations.raw_records (
    id            bigint generated always as identity primary key,
    connection_id uuid not null references integrations.connections (id) on delete cascade,
    tenant_id     uuid not null,
    capability    text not null,
    resource_type text not null,
    external_id   text not null,
    payload       jsonb not null,
    payload_hash  text not null,
    is_deleted    boolean not null default false,
    ingested_at   timestamptz not null default now(),
    txid          xid8 not null default pg_current_xact_id()
);
-- incremental normalization reads one resource type from a transaction id on
create index raw_records_type_txid_idx on integrations.raw_records (resource_type, txid);
create index raw_records_object_idx
    on integrations.raw_records (connection_id, resource_type, external_id, id);

-- The newest version of every object: the dedup key for staging (a payload equal to the newest
-- version is not stored again) and the staged side of reconcile.
create table integrations.raw_heads (
    connection_id uuid not null references integrations.connections (id) on delete cascade,
    resource_type text not null,
    external_id   text not null,
    payload_hash  text not null,
    is_deleted    boolean not null,
    updated_at    timestamptz not null default now(),
    primary key (connection_id, resource_type, external_id)
);
