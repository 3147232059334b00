-- Push notifications (`integrations serve`): when each (connection, capability) last heard from its
-- provider, shown by `status` beside the polling facts; and the delivery ids already handled, so a
-- provider's retry of a delivery (Slack's X-Slack-Retry-Num) enqueues nothing a second time.
create table if not exists integrations.push_received (
    connection_id    uuid not null references integrations.connections (id) on delete cascade,
    capability       text not null,
    first_received_at timestamptz not null default now(),
    last_received_at timestamptz not null default now(),
    notifications    bigint not null default 1,
    primary key (connection_id, capability)
);

create table if not exists integrations.push_deliveries (
    provider    text not null,
    delivery_id text not null,
    received_at timestamptz not null default now(),
    primary key (provider, delivery_id)
);
create index if not exists push_deliveries_received_idx on integrations.push_deliveries (received_at);

-- a push names a provider account: its connections are found by it
create index if not exists connections_provider_account_idx on integrations.connections (provider, account_id);
