-- The web connect flow's pending consents (`GET /connect/{provider}` -> `/oauth/{provider}/callback`):
-- one row per `state` handed out, deleted when its callback arrives, so a state is good once. The
-- PKCE verifier is encrypted with the keyring; the rest is what the callback needs to finish.
create table if not exists integrations.oauth_states (
    nonce        text primary key,
    provider     text not null,
    tenant_id    uuid not null,
    profile_id   uuid,
    account_hint text,
    capabilities jsonb not null,
    scopes       jsonb not null,
    return_to    text not null,
    secret       bytea not null,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz not null
);
create index if not exists oauth_states_expires_idx on integrations.oauth_states (expires_at);
