-- 011: 010 is taken by the serve-connect branch (sql/010_oauth_states.sql); versions are the numbers.
-- Watches a provider must be asked for before it pushes (Gmail users.watch through Pub/Sub, Calendar
-- watch channels): one row per (connection, capability, resource), created and renewed by a periodic
-- task before it expires, stopped when its capability is disabled or its connection goes.
-- `resource` is '' for a mailbox, the calendar id for a calendar; `channel_id`/`resource_id` name a
-- Calendar channel (for channels.stop) and `token_hash` is sha256 of its secret token (only compared).
create table if not exists integrations.push_watches (
    connection_id uuid not null references integrations.connections (id) on delete cascade,
    capability    text not null,
    resource      text not null default '',
    channel_id    text,
    resource_id   text,
    token_hash    text,
    expires_at    timestamptz not null,
    renewed_at    timestamptz not null default now(),
    primary key (connection_id, capability, resource)
);
create unique index if not exists push_watches_channel_idx on integrations.push_watches (channel_id)
where channel_id is not null;
