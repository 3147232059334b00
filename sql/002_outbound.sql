-- Outbound actions (send, draft; later calendar writes) with an idempotency key, so a retried job
-- after a crash finds what Google already accepted instead of doing it twice.
create table integrations.outbound (
    id                  uuid primary key default gen_random_uuid(),
    connection_id       uuid not null references integrations.connections (id) on delete cascade,
    tenant_id           uuid not null,
    action              text not null,            -- send_email | create_draft
    idempotency_key     text not null,
    request             jsonb not null,           -- what the CRM asked for (no secrets)
    message_id_header   text,                     -- our own RFC 5322 Message-ID
    status              text not null default 'pending'
                        check (status in ('pending', 'sending', 'done', 'failed')),
    attempts            integer not null default 0,
    provider_id         text,                     -- Gmail message id / draft id
    thread_id           text,
    last_error          text,
    created_at          timestamptz not null default now(),
    completed_at        timestamptz,
    unique (connection_id, idempotency_key)
);
