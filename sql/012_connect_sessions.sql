-- Connect sessions (DESIGN.md invariant 6): the CRM's backend asks for a connect (POST
-- /connect/sessions or worker.http.connect_sessions.create_connect_session); the pending consent
-- (integrations.oauth_states) is created then, and the browser the CRM sends to
-- /connect/{provider}?session=... redeems it once. Only a sha256 of the session id is kept.
create table if not exists integrations.connect_sessions (
    session_hash text primary key,
    state_nonce  text not null references integrations.oauth_states (nonce) on delete cascade,
    provider     text not null,
    consent_url  text not null,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz not null,
    redeemed_at  timestamptz
);
create index if not exists connect_sessions_state_idx on integrations.connect_sessions (state_nonce);

-- The browser that redeemed the session: sha256 of its `__Host-` cookie. The callback finishes a
-- state only for a browser whose cookie hashes to this.
alter table integrations.oauth_states add column if not exists browser_hash text;

-- Mailbox addresses are compared case-insensitively (a push names the address as Google spells it).
create index if not exists connections_provider_lower_account_idx
    on integrations.connections (provider, lower(account_id));
