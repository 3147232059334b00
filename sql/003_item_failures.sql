-- Objects that failed on their own (a message that 404s between list and get, a body that keeps
-- failing) while the rest of their page was staged. They are retried by later runs and shown by
-- `integrations status` until resolved: never silently skipped.
create table integrations.item_failures (
    connection_id   uuid not null references integrations.connections (id) on delete cascade,
    capability      text not null,
    resource_type   text not null,
    external_id     text not null,
    attempts        integer not null default 1,
    last_error      text not null,
    first_failed_at timestamptz not null default now(),
    last_failed_at  timestamptz not null default now(),
    next_attempt_at timestamptz not null default now(),
    resolved_at     timestamptz,
    resolution      text,             -- staged | gone
    primary key (connection_id, resource_type, external_id)
);
create index item_failures_open_idx on integrations.item_failures (connection_id, capability)
    where resolved_at is null;
